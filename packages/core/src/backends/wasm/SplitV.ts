/** `SplitV` (tf.split) for wasm through our `Slice`, which copies only each output (Slice.ts). */
import { backend_util, type KernelConfig, type KernelFunc, SplitV, type SplitVAttrs, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { type BackendWasm, captureStock } from './kernel_utils';
import { sliceRange } from './Slice';

function splitV(args: { inputs: { x: TensorInfo }; attrs: SplitVAttrs; backend: BackendWasm }): TensorInfo[] {
  const { inputs, attrs, backend } = args;
  const { x } = inputs;
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x as never, attrs.numOrSizeSplits, axis);
  const begin = x.shape.map(() => 0);
  return sizes.map((s) => {
    const size = x.shape.map((n, d) => (d === axis ? s : n));
    const part = sliceRange(backend, x, begin, size);
    begin[axis] += s;
    return part;
  });
}

export const splitVConfig: KernelConfig = {
  kernelName: SplitV,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(SplitV)?.setupFunc?.(backend),
  kernelFunc: splitV as unknown as KernelFunc,
};
