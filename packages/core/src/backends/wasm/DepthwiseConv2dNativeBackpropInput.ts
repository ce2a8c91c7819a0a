/**
 * `DepthwiseConv2dNativeBackpropInput` for wasm (missing from the stock
 * backend): one scatter pass in JavaScript over the wasm heap.
 * dx[n, oh·s - padTop + kh·d, ow·s - padLeft + kw·d, c] += dy[n,oh,ow,c·M+m] · w[kh,kw,c,m]
 */
import { DepthwiseConv2dNativeBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, depthwiseInfo, f32, zerosOutput } from './kernel_utils';

function depthwiseConv2dNativeBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const inputShape = attrs.inputShape as [number, number, number, number];
  const info = depthwiseInfo(inputShape, filter.shape, attrs);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: oH, outWidth: oW, outChannels: OC } = info;
  const { strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW } = info;
  const kH = info.filterHeight;
  const kW = info.filterWidth;
  const M = OC / C;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dx = zerosOutput(backend, inputShape);
  const g = f32(backend, dy);
  const w = f32(backend, filter);
  const out = f32(backend, dx);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < oH; oh++) {
      for (let ow = 0; ow < oW; ow++) {
        const gBase = ((n * oH + oh) * oW + ow) * OC;
        for (let kh = 0; kh < kH; kh++) {
          const ih = oh * sH - top + kh * dH;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < kW; kw++) {
            const iw = ow * sW - left + kw * dW;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((n * H + ih) * W + iw) * C;
            const wBase = (kh * kW + kw) * OC;
            for (let c = 0; c < C; c++) {
              let s = 0;
              for (let m = 0; m < M; m++) s += g[gBase + c * M + m] * w[wBase + c * M + m];
              out[xBase + c] += s;
            }
          }
        }
      }
    }
  }
  return dx;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
};
