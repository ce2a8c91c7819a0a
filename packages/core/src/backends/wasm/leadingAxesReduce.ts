/**
 * A reduction over leading axes (a batch-norm statistic or a bias gradient:
 * NHWC summed over N, H and W) in one pass over memory, rows of x[M, R]
 * added into R accumulators.
 *
 * The stock wasm `Sum` and `Mean` first transpose the reduced axes to the
 * end (a strided copy of the whole tensor), then add. Not a product
 * ones[1, M]·x[M, R]: XNNPACK is fast there only while x stays the same
 * (docs/backends.md). Accumulating in float64 (blocks of float32 SIMD lanes
 * where the kept size is a multiple of 4, channelKernels.ts) also makes the
 * result more accurate than float32 pairwise sums, not less.
 */
import { type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { channelKernels } from './channelKernels';
import { type BackendWasm, captureStock, f32, runStock } from './kernel_utils';

/** How many leading axes `axis` reduces (0, 1, …, k−1, in any order), or 0 when it is not such a prefix of a float32 tensor. */
export function leadingAxes(x: TensorInfo, axis: number | number[]): number {
  if (x.dtype !== 'float32') return 0;
  const rank = x.shape.length;
  const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  // All axes is a full reduction: no rows to keep, the stock kernel is fine.
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/**
 * The sum (or mean) of `x` over its first `k` axes, shaped as the stock
 * kernel's output (`keepDims` keeps the reduced axes as 1s).
 */
export function reduceLeadingAxes(backend: BackendWasm, x: TensorInfo, k: number, keepDims: boolean, op: 'sum' | 'mean'): TensorInfo {
  const m = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const scale = op === 'mean' ? 1 / m : 1;
  const rest = x.shape.slice(k);
  const r = rest.reduce((p, d) => p * d, 1);
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest, 'float32');
  const acc = new Float64Array(r);
  const simd = channelKernels(backend, r);
  if (simd) simd.sums(x, acc);
  else {
    const src = f32(backend, x);
    for (let i = 0, o = 0; i < m; i++, o += r) for (let j = 0; j < r; j++) acc[j] += src[o + j];
  }
  // Views after the last allocation (growing the heap, as the SIMD loops' scratch may, detaches older ones).
  const dst = f32(backend, out);
  for (let j = 0; j < r; j++) dst[j] = acc[j] * scale;
  return out;
}

/** The wasm kernel config for `Sum` or `Mean`: leading-axes reductions here, anything else on the stock kernel. */
export function leadingAxesReduceConfig(kernelName: 'Sum' | 'Mean', op: 'sum' | 'mean'): KernelConfig {
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { axis: number | number[]; keepDims: boolean } }): TensorInfo => {
    const { inputs, backend, attrs } = args;
    const k = leadingAxes(inputs.x, attrs.axis);
    if (k === 0) return runStock(backend, kernelName, inputs, attrs as unknown as NamedAttrMap);
    return reduceLeadingAxes(backend, inputs.x, k, attrs.keepDims, op);
  };
  return {
    kernelName,
    backendName: 'wasm',
    setupFunc: (backend) => captureStock(kernelName)?.setupFunc?.(backend),
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
