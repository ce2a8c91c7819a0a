/** `Sum` for wasm: leading-axes reductions as one product (leadingAxesReduce.ts); anything else stays on the stock kernel. */
import { Sum, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, captureStock, runStock } from './kernel_utils';
import { leadingAxes, reduceLeadingAxes } from './leadingAxesReduce';

function sum(args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: { axis: number | number[]; keepDims: boolean } }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const k = leadingAxes(inputs.x, attrs.axis);
  if (k === 0) return runStock(backend, Sum, inputs, attrs as unknown as NamedAttrMap);
  return reduceLeadingAxes(backend, inputs.x, k, attrs.keepDims, 1);
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(Sum)?.setupFunc?.(backend),
  kernelFunc: sum as unknown as KernelFunc,
};
