/**
 * `AvgPoolGrad` for wasm as one scatter pass in JavaScript over the wasm heap.
 * Like the cpu and stock wasm kernels, each window's gradient is divided by
 * the full window size (padding included). The stock kernel is many times
 * slower than the forward pool (docs/backends.md).
 */
import { AvgPoolGrad, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, f32, poolInfo, zerosOutput } from './kernel_utils';

function avgPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: BackendWasm; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = poolInfo(input.shape, attrs);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: oH, outWidth: oW } = info;
  const { strideHeight: sH, strideWidth: sW, effectiveFilterHeight: fH, effectiveFilterWidth: fW } = info;
  const { dilationHeight: dH, dilationWidth: dW } = info;
  const scale = 1 / (info.filterHeight * info.filterWidth);
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  const dx = zerosOutput(backend, input.shape);
  const g = f32(backend, dy);
  const out = f32(backend, dx);
  const v = new Float32Array(C);
  for (let n = 0; n < batchSize; n++) {
    const xBatch = n * H * W * C;
    for (let oh = 0; oh < oH; oh++) {
      const r0 = oh * sH - top;
      let rMin = r0;
      while (rMin < 0) rMin += dH;
      const rMax = Math.min(H, r0 + fH);
      for (let ow = 0; ow < oW; ow++) {
        const c0 = ow * sW - left;
        let cMin = c0;
        while (cMin < 0) cMin += dW;
        const cMax = Math.min(W, c0 + fW);
        const gBase = ((n * oH + oh) * oW + ow) * C;
        for (let ch = 0; ch < C; ch++) v[ch] = g[gBase + ch] * scale;
        for (let r = rMin; r < rMax; r += dH) {
          for (let c = cMin; c < cMax; c += dW) {
            const base = xBatch + (r * W + c) * C;
            for (let ch = 0; ch < C; ch++) out[base + ch] += v[ch];
          }
        }
      }
    }
  }
  return dx;
}

export const avgPoolGradConfig: KernelConfig = {
  kernelName: AvgPoolGrad,
  backendName: 'wasm',
  kernelFunc: avgPoolGrad as unknown as KernelFunc,
};
