/** `Mean` for wasm: leading-axes reductions as one product (leadingAxesReduce.ts); anything else stays on the stock kernel. */
import { Mean, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, captureStock, runStock } from './kernel_utils';
import { leadingAxes, reduceLeadingAxes } from './leadingAxesReduce';

function mean(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { axis: number | number[]; keepDims: boolean } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const k = leadingAxes(inputs.x, attrs.axis);
  if (k === 0) return runStock(backend, Mean, inputs, attrs as unknown as NamedAttrMap);
  const m = inputs.x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  return reduceLeadingAxes(backend, inputs.x, k, attrs.keepDims, 1 / m);
}

export const meanConfig: KernelConfig = {
  kernelName: Mean,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(Mean)?.setupFunc?.(backend),
  kernelFunc: mean as unknown as KernelFunc,
};
