/**
 * `FusedBatchNorm` (inference batch norm: `tf.batchNorm` with given statistics)
 * for wasm as one per-channel affine pass in SIMD (channelKernels.ts):
 * y = x·s + (offset − mean·s) with s = scale / √(variance + ε), over x [..., C]
 * with C a multiple of 4 and every statistic a vector of C. The stock kernel
 * took 11.7 ms of the compact net's 33 ms evaluation forward at batch 16
 * (docs/results.md); everything else stays on it.
 */
import { FusedBatchNorm, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { channelKernels, isChannelVector } from './channelKernels';
import { type BackendWasm, captureStock, runStock } from './kernel_utils';

interface FusedBatchNormInputs {
  x: TensorInfo;
  mean: TensorInfo;
  variance: TensorInfo;
  offset?: TensorInfo;
  scale?: TensorInfo;
}

function fusedBatchNorm(args: { inputs: FusedBatchNormInputs; backend: BackendWasm; attrs: NamedAttrMap }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset, scale } = inputs;
  const c = x.shape[x.shape.length - 1] ?? 0;
  const simd =
    x.dtype === 'float32' &&
    x.shape.length >= 2 &&
    [mean, variance, offset, scale].every((v) => v === undefined || (v.dtype === 'float32' && isChannelVector(v, c)))
      ? channelKernels(backend, c)
      : null;
  if (!simd) return runStock(backend, FusedBatchNorm, inputs as unknown as Record<string, TensorInfo>, attrs);
  const eps = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  const read = (v: TensorInfo) => backend.typedArrayFromHeap(v) as Float32Array;
  const [m, v] = [read(mean), read(variance)];
  const [o, g] = [offset ? read(offset) : null, scale ? read(scale) : null];
  const s = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    s[j] = (g ? g[j]! : 1) / Math.sqrt(v[j]! + eps);
    shift[j] = (o ? o[j]! : 0) - m[j]! * s[j]!;
  }
  const out = backend.makeOutput(x.shape, 'float32');
  simd.affine(x, out, s, shift);
  return out;
}

export const fusedBatchNormConfig: KernelConfig = {
  kernelName: FusedBatchNorm,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(FusedBatchNorm)?.setupFunc?.(backend),
  kernelFunc: fusedBatchNorm as unknown as KernelFunc,
};
