/**
 * `DepthwiseConv2dNativeBackpropFilter` for wasm (missing from the stock
 * backend): one pass in JavaScript over the wasm heap.
 * dw[kh,kw,c,m] = Σ_{n,oh,ow} x[n, oh·s - padTop + kh·d, ow·s - padLeft + kw·d, c] · dy[n,oh,ow,c·M+m]
 */
import { DepthwiseConv2dNativeBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, depthwiseInfo, f32, zerosOutput } from './kernel_utils';

function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const filterShape = attrs.filterShape as [number, number, number, number];
  const info = depthwiseInfo(x.shape, filterShape, attrs);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: oH, outWidth: oW, outChannels: OC } = info;
  const { strideHeight: sH, strideWidth: sW, dilationHeight: dH, dilationWidth: dW } = info;
  const kH = info.filterHeight;
  const kW = info.filterWidth;
  const M = OC / C;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dw = zerosOutput(backend, filterShape);
  const xs = f32(backend, x);
  const g = f32(backend, dy);
  const out = f32(backend, dw);
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
              const xv = xs[xBase + c];
              for (let m = 0; m < M; m++) out[wBase + c * M + m] += xv * g[gBase + c * M + m];
            }
          }
        }
      }
    }
  }
  return dw;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
};
