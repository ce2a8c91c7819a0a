/**
 * `Slice` for wasm that copies only the elements it returns. The stock kernel
 * first copies its whole input out of the heap (`readSync`), so slicing one
 * step from a [T, N, F] sequence costs T·N·F, and `Unpack` and `SplitV`,
 * which slice once per output, cost T² (27 ms of a 446 ms training step of
 * the `ctc` reader at 240×64; docs/results.md).
 */
import { type KernelConfig, type KernelFunc, Slice, type SliceAttrs, slice_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { type BackendWasm, captureStock, runStock } from './kernel_utils';

/** x[begin : begin + size], a new tensor; `size` may hold −1 (to the end). */
export function sliceRange(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const [b, s] = slice_util.parseSliceParams(x as never, begin, size);
  if (x.dtype === 'string') return runStock(backend, Slice, { x }, { begin: b, size: s });
  const out = backend.makeOutput(s, x.dtype);
  if (util.sizeFromShape(s) === 0) return out;
  // Views after the last allocation: growing the heap detaches older ones.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const strides = [...util.computeStrides(x.shape), 1];
  // Dimensions after k are whole, so each index over the dimensions before k
  // selects one contiguous run of size[k] · strides[k] elements.
  let k = s.length - 1;
  while (k > 0 && s[k] === x.shape[k]) k--;
  const run = s[k] * strides[k];
  const index = new Array<number>(k).fill(0);
  for (let o = 0; o < to.length; o += run) {
    let offset = b[k] * strides[k];
    for (let d = 0; d < k; d++) offset += (b[d] + index[d]) * strides[d];
    to.set(from.subarray(offset, offset + run), o);
    for (let d = k - 1; d >= 0 && ++index[d] === s[d]; d--) index[d] = 0;
  }
  return out;
}

function slice(args: { inputs: { x: TensorInfo }; attrs: SliceAttrs; backend: BackendWasm }): TensorInfo {
  const { inputs, attrs, backend } = args;
  return sliceRange(backend, inputs.x, attrs.begin as number[], attrs.size as number[]);
}

export const sliceConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(Slice)?.setupFunc?.(backend),
  kernelFunc: slice as unknown as KernelFunc,
};
