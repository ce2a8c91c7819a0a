import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../../tf';
import { withoutDrawing } from '../../util/random';
import { BatchNormalization } from '../BatchNormalization';
import { Identity } from '../Identity';
import { Linear } from '../Linear';
import type { Module } from '../Module';
import { Sequential } from '../Sequential';
import { SpatialBatchNormalization } from '../SpatialBatchNormalization';
import { SpatialConvolution } from '../SpatialConvolution';

/** Evaluate-mode BN as y = x·scale + shift per feature, with `bias` (the layer's) moved through it. */
function foldedAffine(bn: BatchNormalization, bias: Tensor | undefined): { scale: Tensor; shift: Tensor } {
  let scale: Tensor = tf.rsqrt(bn.runningVar.add(bn.eps));
  if (bn.weight) scale = scale.mul(bn.weight);
  let shift: Tensor = (bias ? bias.sub(bn.runningMean) : bn.runningMean.neg()).mul(scale);
  if (bn.bias) shift = shift.add(bn.bias);
  return { scale, shift };
}

function checkFeatures(who: string, bn: BatchNormalization, layer: Module, features: number): void {
  if (bn.nOutput !== features) throw new RangeError(`${who}: ${bn.path()} normalises ${bn.nOutput} features, but ${layer.path()} gives ${features}`);
}

/**
 * PyTorch's `torch.nn.utils.fusion.fuse_conv_bn_eval`: one new
 * SpatialConvolution that computes `bn(conv(x))` with `bn` in evaluate mode.
 * With s = weight / √(running_var + eps) per output plane, the filter becomes
 * W·s and the bias (b − running_mean)·s + bn.bias. The modules are not changed.
 */
export function fuseConvBnEval(conv: SpatialConvolution, bn: SpatialBatchNormalization): SpatialConvolution {
  checkFeatures('fuseConvBnEval', bn, conv, conv.nOutputPlane);
  const { nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH } = conv;
  const fused = withoutDrawing(() => new SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH));
  tf.tidy(() => {
    const { scale, shift } = foldedAffine(bn, conv.bias);
    (fused.weight as tf.Variable).assign(conv.weight.mul(scale)); // HWIO: scale broadcasts over O
    (fused.bias as tf.Variable).assign(shift);
  });
  return fused.evaluate();
}

/**
 * PyTorch's `torch.nn.utils.fusion.fuse_linear_bn_eval`: one new Linear that
 * computes `bn(linear(x))` with `bn` (a BatchNormalization) in evaluate mode;
 * the rows of the weight are scaled as fuseConvBnEval scales the filters.
 */
export function fuseLinearBnEval(linear: Linear, bn: BatchNormalization): Linear {
  checkFeatures('fuseLinearBnEval', bn, linear, linear.outputSize);
  const fused = withoutDrawing(() => new Linear(linear.inputSize, linear.outputSize));
  tf.tidy(() => {
    const { scale, shift } = foldedAffine(bn, linear.bias);
    (fused.weight as tf.Variable).assign(linear.weight.mul(scale.reshape([-1, 1]))); // [out, in]: a row per feature
    (fused.bias as tf.Variable).assign(shift);
  });
  return fused.evaluate();
}

/**
 * A copy of `model` for inference, in evaluate mode, in which every
 * SpatialBatchNormalization that directly follows a SpatialConvolution in a
 * Sequential, and every BatchNormalization that directly follows a Linear, is
 * folded into it (`fuseConvBnEval`, `fuseLinearBnEval`) and replaced by an
 * Identity, so that indices and printing still match the original. The
 * outputs are the original's in evaluate mode up to rounding, with one
 * kernel fewer per folded pair (what a batch-1 forward pays for). Train the
 * original, not the copy: the folded planes no longer normalise over the batch.
 * With `inplace` (PyTorch's fx `fuse(model, inplace=True)`), `model` itself is
 * folded and returned: for a model only just loaded to be read, no copy.
 */
export function foldBatchNorm<M extends Module>(model: M, options: { inplace?: boolean } = {}): M {
  const target = options.inplace ? model : model.clone();
  target.evaluate();
  foldIn(target);
  return target;
}

/** The folded layer for a layer and the BN after it, or undefined where the pair does not fold. */
function fusePair(layer: Module, bn: Module): Module | undefined {
  if (layer instanceof SpatialConvolution && bn instanceof SpatialBatchNormalization) return fuseConvBnEval(layer, bn);
  if (layer instanceof Linear && bn instanceof BatchNormalization && !(bn instanceof SpatialBatchNormalization)) return fuseLinearBnEval(layer, bn);
  return undefined;
}

function foldIn(module: Module): void {
  if (module instanceof Sequential) {
    const ms = module.modules;
    for (let i = 0; i + 1 < ms.length; i++) {
      const [layer, bn] = [ms[i], ms[i + 1]];
      const fused = fusePair(layer, bn);
      if (!fused) continue;
      ms[i] = fused;
      ms[i + 1] = new Identity();
      ms[i].parent = ms[i + 1].parent = module;
      layer.dispose();
      bn.dispose();
    }
  }
  for (const child of module.children()) foldIn(child);
}
