/**
 * ReLU's gradient through one `ReluGrad` kernel where the backend has one
 * (wasm) and x is float32; elsewhere tfjs-core's dy·cast(step(x)), which
 * the kernel reproduces bit for bit.
 */
import { cast, engine, getBackend, getKernel, mul, Relu, step, type GradConfig, type Tensor } from '@tensorflow/tfjs-core';
import { ReluGrad } from '../kernelNames';

export const reluGradientConfig: GradConfig = {
  kernelName: Relu,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
    const [x] = saved as [Tensor];
    const g = dy as Tensor;
    return {
      x: () =>
        x.dtype === 'float32' && g.dtype === 'float32' && getKernel(ReluGrad, getBackend()) !== undefined
          ? (engine().runKernel(ReluGrad, { dy: g, x }) as Tensor)
          : mul(g, cast(step(x), 'float32')),
    };
  },
};
