/** `Unpack` (tf.unstack) for wasm through our `Slice`, which copies only each output (Slice.ts). */
import { type KernelConfig, type KernelFunc, type TensorInfo, Unpack, type UnpackAttrs, util } from '@tensorflow/tfjs-core';
import { type BackendWasm, captureStock } from './kernel_utils';
import { sliceRange } from './Slice';

function unpack(args: { inputs: { value: TensorInfo }; attrs: UnpackAttrs; backend: BackendWasm }): TensorInfo[] {
  const { inputs, attrs, backend } = args;
  const { value } = inputs;
  const axis = util.parseAxisParam(attrs.axis, value.shape)[0];
  const outShape = value.shape.filter((_, d) => d !== axis);
  const begin = value.shape.map(() => 0);
  const size = value.shape.map((n, d) => (d === axis ? 1 : n));
  return Array.from({ length: value.shape[axis] }, (_, i) => {
    begin[axis] = i;
    const { dataId, dtype } = sliceRange(backend, value, begin, size);
    return { dataId, dtype, shape: outShape };
  });
}

export const unpackConfig: KernelConfig = {
  kernelName: Unpack,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(Unpack)?.setupFunc?.(backend),
  kernelFunc: unpack as unknown as KernelFunc,
};
