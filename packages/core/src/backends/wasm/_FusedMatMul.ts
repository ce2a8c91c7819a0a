/**
 * `_FusedMatMul` (matMul + bias + activation) for wasm with transposes made
 * explicit, for the same reason as BatchMatMul.ts.
 */
import { _FusedMatMul, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs-core';
import { matMulExplicitTranspose } from './BatchMatMul';
import { captureStock } from './kernel_utils';

export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(_FusedMatMul)?.setupFunc?.(backend),
  kernelFunc: ((args: never) => matMulExplicitTranspose(_FusedMatMul, args)) as unknown as KernelFunc,
};
