/**
 * `Add` for wasm with a per-channel vector added in wasm SIMD (channelKernels.ts):
 * a convolution's or a Linear layer's bias, x [..., C] + b [C] with C a
 * multiple of 4. The stock kernel's broadcasting path takes about 2 ns per
 * element (2.8 ms for the compact net's first layer at batch 16, 0.4 ms
 * here), and small ones cost it 0.3 ms a call (a [16,36] bias); everything
 * else stays on it.
 */
import { Add, type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { channelKernels, isChannelVector } from './channelKernels';
import { type BackendWasm, captureStock, runStock } from './kernel_utils';

function add(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs;
  if (a.dtype === 'float32' && b.dtype === 'float32') {
    const [x, v] = util.sizeFromShape(a.shape) >= util.sizeFromShape(b.shape) ? [a, b] : [b, a];
    const c = x.shape[x.shape.length - 1] ?? 0;
    if (x.shape.length >= 2 && v.shape.length <= x.shape.length && isChannelVector(v, c)) {
      const simd = channelKernels(backend, c);
      if (simd) {
        const out = backend.makeOutput(x.shape, 'float32');
        const bias = Float32Array.from(backend.typedArrayFromHeap(v) as Float32Array);
        simd.affine(x, out, new Float32Array(c).fill(1), bias);
        return out;
      }
    }
  }
  return runStock(backend, Add, inputs);
}

export const addConfig: KernelConfig = {
  kernelName: Add,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(Add)?.setupFunc?.(backend),
  kernelFunc: add as unknown as KernelFunc,
};
