/**
 * `MaxPoolGrad` for wasm as one pass over the wasm heap: each window's
 * gradient goes to its first maximum (row-major, strict `>`), the cpu
 * backend's rule, so ties (all-zero windows after a ReLU) match it. 2×2
 * stride-2 windows, and the 2×1 ones that halve only the height (a CTC
 * reader's), over channels in fours run in wasm SIMD (channelKernels.ts),
 * the rest in JavaScript. The stock kernel is many
 * times slower than the forward pool (docs/backends.md).
 */
import { MaxPoolGrad, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { channelKernels } from './channelKernels';
import { type BackendWasm, f32, poolInfo, zerosOutput } from './kernel_utils';

/** Whether the windows are 2×`width`, stride 2 down and `width` across, undilated, with no padding before (a ceil-mode edge after is allowed). */
function tilesOf(info: ReturnType<typeof poolInfo>, width: 1 | 2): boolean {
  const { strideHeight: sH, strideWidth: sW, effectiveFilterHeight: fH, effectiveFilterWidth: fW, dilationHeight: dH, dilationWidth: dW } = info;
  return fH === 2 && fW === width && sH === 2 && sW === width && dH === 1 && dW === 1 && info.padInfo.top === 0 && info.padInfo.left === 0;
}

function maxPoolGrad(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = poolInfo(input.shape, attrs);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: oH, outWidth: oW } = info;
  const { strideHeight: sH, strideWidth: sW, effectiveFilterHeight: fH, effectiveFilterWidth: fW } = info;
  const { dilationHeight: dH, dilationWidth: dW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;

  // Where 2×2 stride-2 (or 2×1) windows tile the input (a ceil-mode edge aside),
  // each input is in one window: compare them in place, no per-window scratch.
  const tiles2x2 = tilesOf(info, 2);
  const tiles2x1 = tilesOf(info, 1);
  const simd = tiles2x2 || tiles2x1 ? channelKernels(backend, C) : null;
  // The SIMD kernels write every input of their windows; where they cover the whole input, nothing is left to zero.
  const dx = simd && H % 2 === 0 && (tiles2x1 || W % 2 === 0) ? backend.makeOutput(input.shape, 'float32') : zerosOutput(backend, input.shape);
  if (simd) (tiles2x1 ? simd.maxPool2x1Grad : simd.maxPool2x2Grad)(input, dy, dx);
  // Views after the last allocation (growing the heap detaches older ones).
  const x = f32(backend, input);
  const g = f32(backend, dy);
  const out = f32(backend, dx);
  // The windows the SIMD kernel took: all that lie inside the input.
  const simdRows = simd ? Math.floor(H / 2) : 0;
  const simdCols = simd ? (tiles2x1 ? W : Math.floor(W / 2)) : 0;
  const best = new Float32Array(C);
  const pos = new Int32Array(C);
  for (let n = 0; n < batchSize; n++) {
    const xBatch = n * H * W * C;
    for (let oh = 0; oh < oH; oh++) {
      const r0 = oh * sH - top;
      let rMin = r0;
      while (rMin < 0) rMin += dH;
      const rMax = Math.min(H, r0 + fH);
      for (let ow = 0; ow < oW; ow++) {
        const c0 = ow * sW - left;
        if (oh < simdRows && ow < simdCols) continue;
        const gBase = ((n * oH + oh) * oW + ow) * C;
        if (tiles2x2 && r0 + 2 <= H && c0 + 2 <= W) {
          const p00 = xBatch + (r0 * W + c0) * C;
          const p01 = p00 + C;
          const p10 = p00 + W * C;
          const p11 = p10 + C;
          for (let ch = 0; ch < C; ch++) {
            // The first maximum in row-major order (strict `>` from −∞, as the general loop).
            let p = -1;
            let v = -Infinity;
            if (x[p00 + ch] > v) v = x[(p = p00 + ch)];
            if (x[p01 + ch] > v) v = x[(p = p01 + ch)];
            if (x[p10 + ch] > v) v = x[(p = p10 + ch)];
            if (x[p11 + ch] > v) p = p11 + ch;
            if (p >= 0) out[p] += g[gBase + ch];
          }
          continue;
        }
        let cMin = c0;
        while (cMin < 0) cMin += dW;
        const cMax = Math.min(W, c0 + fW);
        best.fill(-Infinity);
        pos.fill(-1);
        for (let r = rMin; r < rMax; r += dH) {
          for (let c = cMin; c < cMax; c += dW) {
            const base = xBatch + (r * W + c) * C;
            for (let ch = 0; ch < C; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                pos[ch] = base + ch;
              }
            }
          }
        }
        for (let ch = 0; ch < C; ch++) {
          const p = pos[ch];
          if (p >= 0) out[p] += g[gBase + ch];
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
