import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import { withoutDrawing } from '../../util/random';
import { Identity } from '../Identity';
import type { Module } from '../Module';
import { Sequential } from '../Sequential';
import { SpatialBatchNormalization } from '../SpatialBatchNormalization';
import { SpatialConvolution } from '../SpatialConvolution';

/**
 * PyTorch's `torch.nn.utils.fusion.fuse_conv_bn_eval`: one new
 * SpatialConvolution that computes `bn(conv(x))` with `bn` in evaluate mode.
 * With s = weight / √(running_var + eps) per output plane, the filter becomes
 * W·s and the bias (b − running_mean)·s + bn.bias. The modules are not changed.
 */
export function fuseConvBnEval(conv: SpatialConvolution, bn: SpatialBatchNormalization): SpatialConvolution {
  if (bn.nOutput !== conv.nOutputPlane)
    throw new RangeError(`fuseConvBnEval: ${bn.path()} normalises ${bn.nOutput} planes, but ${conv.path()} gives ${conv.nOutputPlane}`);
  const { nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH } = conv;
  const fused = withoutDrawing(() => new SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH));
  tf.tidy(() => {
    let scale: Tensor = tf.rsqrt(bn.runningVar.add(bn.eps));
    if (bn.weight) scale = scale.mul(bn.weight);
    let bias: Tensor = conv.bias ? conv.bias.sub(bn.runningMean).mul(scale) : bn.runningMean.neg().mul(scale);
    if (bn.bias) bias = bias.add(bn.bias);
    (fused.weight as tf.Variable).assign(conv.weight.mul(scale)); // HWIO: scale broadcasts over O
    (fused.bias as tf.Variable).assign(bias);
  });
  return fused.evaluate();
}

/**
 * A copy of `model` for inference, in evaluate mode, in which every
 * SpatialBatchNormalization that directly follows a SpatialConvolution in a
 * Sequential is folded into it (`fuseConvBnEval`) and replaced by an
 * Identity, so that indices and printing still match the original. The
 * outputs are the original's in evaluate mode up to rounding, with one
 * kernel fewer per folded pair (what a batch-1 forward pays for). Train the
 * original, not the copy: the folded planes no longer normalise over the batch.
 */
export function foldBatchNorm<M extends Module>(model: M): M {
  const copy = model.clone().evaluate();
  foldIn(copy);
  return copy;
}

function foldIn(module: Module): void {
  if (module instanceof Sequential) {
    const ms = module.modules;
    for (let i = 0; i + 1 < ms.length; i++) {
      const [conv, bn] = [ms[i], ms[i + 1]];
      if (!(conv instanceof SpatialConvolution && bn instanceof SpatialBatchNormalization)) continue;
      ms[i] = fuseConvBnEval(conv, bn);
      ms[i + 1] = new Identity();
      ms[i].parent = ms[i + 1].parent = module;
      conv.dispose();
      bn.dispose();
    }
  }
  for (const child of module.children()) foldIn(child);
}
