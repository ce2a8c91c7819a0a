/**
 * `UnsortedSegmentSum` for wasm (missing from the stock backend; gather's
 * gradient, hence LookupTable's, needs it): one scatter-add pass in
 * JavaScript over the wasm heap. Ids outside [0, numSegments) are dropped,
 * as on the cpu backend.
 */
import { UnsortedSegmentSum, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from './kernel_utils';

function unsortedSegmentSum(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: BackendWasm; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, segmentIds } = inputs;
  const numSegments = attrs.numSegments as number;
  const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
  const nIds = util.sizeFromShape(segmentIds.shape);
  const inner = nIds === 0 ? 0 : util.sizeFromShape(x.shape) / nIds;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = backend.makeOutput(outShape, dtype);
  const o = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  o.fill(0);
  const xs = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  for (let i = 0; i < nIds; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
