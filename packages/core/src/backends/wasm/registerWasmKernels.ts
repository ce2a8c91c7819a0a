/**
 * Registers our wasm kernels: the ones the stock wasm backend lacks and that
 * training needs, and faster replacements for slow stock ones. Idempotent.
 * Works whether or not the wasm backend has started: stock kernels we replace
 * are captured first, and our configs run their setup (the stock setup, which
 * binds the wasm functions we delegate to).
 */
import { engine, getKernel, registerKernel, unregisterKernel, type KernelBackend, type KernelConfig } from '@tensorflow/tfjs-core';
import { adamUpdateConfig } from './AdamUpdate';
import { addConfig } from './Add';
import { avgPoolGradConfig } from './AvgPoolGrad';
import { batchMatMulConfig } from './BatchMatMul';
import { batchNormTrainConfig } from './BatchNormTrain';
import { batchNormTrainGradConfig } from './BatchNormTrainGrad';
import { conv2DConfig } from './Conv2D';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './DepthwiseConv2dNativeBackpropInput';
import { fusedBatchNormConfig } from './FusedBatchNorm';
import { fusedMatMulConfig } from './_FusedMatMul';
import { identityConfig } from './Identity';
import { lstmCellConfig } from './LstmCell';
import { lstmCellGradConfig } from './LstmCellGrad';
import { captureStock } from './kernel_utils';
import { maxPoolGradConfig } from './MaxPoolGrad';
import { meanConfig } from './Mean';
import { reluGradConfig } from './ReluGrad';
import { sliceConfig } from './Slice';
import { splitVConfig } from './SplitV';
import { sumConfig } from './Sum';
import { unpackConfig } from './Unpack';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum';

/** Kernels the stock wasm backend does not have (ours: kernelNames.ts). */
export const addedWasmKernels: KernelConfig[] = [
  adamUpdateConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  lstmCellConfig,
  lstmCellGradConfig,
  reluGradConfig,
  unsortedSegmentSumConfig,
];

/** Stock wasm kernels we replace with faster ones. */
export const replacedWasmKernels: KernelConfig[] = [
  addConfig,
  conv2DConfig,
  conv2DBackpropInputConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  fusedBatchNormConfig,
  maxPoolGradConfig,
  avgPoolGradConfig,
  sumConfig,
  meanConfig,
  identityConfig,
  sliceConfig,
  splitVConfig,
  unpackConfig,
];

let registered = false;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  for (const config of [...addedWasmKernels, ...replacedWasmKernels]) {
    captureStock(config.kernelName);
    if (getKernel(config.kernelName, 'wasm')) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  // Kernels registered after the backend started miss its setup pass.
  const running = (engine() as unknown as { registry: Record<string, KernelBackend> }).registry?.wasm;
  if (running) {
    for (const config of [...addedWasmKernels, ...replacedWasmKernels]) config.setupFunc?.(running);
  }
}
