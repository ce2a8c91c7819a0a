/**
 * `Identity` for wasm that shares the input's memory (a reference count),
 * as the cpu and webgl backends' Identity and the wasm Reshape already do.
 * The stock wasm kernel copies the whole tensor, and tfjs calls it for every
 * tensor a custom gradient saves for its backward pass (batch norm's input).
 * Safe because no kernel writes into its inputs.
 */
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, runStock } from './kernel_utils';

function identity(args: { inputs: { x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype === 'string') return runStock(backend, Identity, { x });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
