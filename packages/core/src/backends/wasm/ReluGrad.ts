/**
 * `ReluGrad` for wasm: one pass in wasm SIMD (channels.c) where the module is
 * instantiated, else in JavaScript over the heap. tfjs-core's ReLU gradient is
 * three kernels (Step, Cast, Multiply), each a pass over the activation; a
 * convnet's first layers make those passes long (docs/results.md, "ReLU's
 * gradient in one pass").
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { ReluGrad } from '../kernelNames';
import { type BackendWasm, f32 } from './kernel_utils';
import { moduleExports, offsetOf } from './winograd';

/** The same pass in JavaScript, for when the SIMD module is not instantiated (a browser's first calls). */
export function reluGradLoop(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < dx.length; i++) {
    const xi = x[i]!;
    dx[i] = dy[i]! * (Number.isNaN(xi) ? xi : xi > 0 ? 1 : 0);
  }
}

function reluGrad(args: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const { dy, x } = inputs;
  util.assert(
    util.arraysEqual(dy.shape, x.shape) && dy.dtype === 'float32' && x.dtype === 'float32',
    () => `ReluGrad: dy and x must be float32 of one shape, got [${dy.shape}] ${dy.dtype} and [${x.shape}] ${x.dtype}`,
  );
  const dx = backend.makeOutput(x.shape, 'float32');
  const simd = moduleExports(backend);
  if (simd) {
    simd.relu_grad(offsetOf(backend, dy), offsetOf(backend, x), util.sizeFromShape(x.shape), offsetOf(backend, dx));
    return dx;
  }
  // Views after the last allocation (growing the heap detaches older ones).
  reluGradLoop(f32(backend, dy), f32(backend, x), f32(backend, dx));
  return dx;
}

export const reluGradConfig: KernelConfig = {
  kernelName: ReluGrad,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as KernelFunc,
};
