/**
 * `Conv2DBackpropInput` for wasm, on XNNPACK's convolution.
 *
 * The stock wasm kernel is a scalar loop, several times slower than XNNPACK's conv.
 * Stride 1: dx = conv(dy, filter flipped in space with in/out channels
 * swapped), padded so the output is the input's size. Stride s > 1: the
 * sub-pixel decomposition. Input row ih receives taps kh with
 * kh ≡ ih + padTop (mod s); each of the s_h·s_w phases is one stride-1 conv of
 * dy with the sub-filter of those taps, and its rows go to every s-th row of
 * dx. This does the same multiply-adds as the forward conv, where inserting
 * zeros between dy's pixels would do s_h·s_w times as many.
 */
import { backend_util, Conv2DBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, conv2dExplicit, disposeInfos, f32, zerosOutput } from './kernel_utils';

/** Taps of one phase along one axis. */
interface Phase {
  /** First tap of the phase; taps are r, r+s, r+2s... */
  r: number;
  /** Number of taps. */
  taps: number;
  /** First and count of the output rows (in units of s) this phase fills. */
  q0: number;
  rows: number;
  /** First dx row filled. */
  first: number;
  /** Conv padding on the dy side. */
  padBefore: number;
  padAfter: number;
}

function phases(inSize: number, outSize: number, k: number, s: number, padBefore: number): Phase[] {
  const out: Phase[] = [];
  for (let r = 0; r < s; r++) {
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    const q0 = Math.ceil((padBefore - r) / s);
    const q1 = Math.floor((inSize - 1 + padBefore - r) / s);
    const rows = Math.max(0, q1 - q0 + 1);
    const before = taps - 1 - q0;
    out.push({
      r,
      taps,
      q0,
      rows,
      first: q0 * s + r - padBefore,
      padBefore: before,
      padAfter: rows - outSize - before + taps - 1,
    });
  }
  return out;
}

function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: BackendWasm; attrs: Record<string, unknown> }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as {
    strides: number | [number, number];
    pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  if (dataFormat === 'NCHW') {
    throw new Error("captcha-nn wasm Conv2DBackpropInput supports dataFormat 'NHWC' only");
  }
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize: n, inHeight, inWidth, inChannels: ci, outChannels: co, filterHeight: kH, filterWidth: kW } = info;
  const { strideHeight: sH, strideWidth: sW } = info;
  const [, oH, oW] = dy.shape;
  const ph = phases(inHeight, oH, kH, sH, info.padInfo.top);
  const pw = phases(inWidth, oW, kW, sW, info.padInfo.left);

  // Stride 1: one phase that is the whole of dx.
  const single = ph.length === 1 && pw.length === 1;
  const dx = single ? null : zerosOutput(backend, inputShape);
  let result: TensorInfo | null = dx;
  for (const a of ph) {
    if (a.taps === 0 || a.rows === 0) continue;
    for (const b of pw) {
      if (b.taps === 0 || b.rows === 0) continue;
      // Sub-filter [taps_h, taps_w, co, ci], flipped: g[i][j] = w[a.r + sH*(Th-1-i)][b.r + sW*(Tw-1-j)].
      const g = backend.makeOutput([a.taps, b.taps, co, ci], 'float32');
      const w = f32(backend, filter);
      const gv = f32(backend, g);
      for (let i = 0; i < a.taps; i++) {
        const kh = a.r + sH * (a.taps - 1 - i);
        for (let j = 0; j < b.taps; j++) {
          const kw = b.r + sW * (b.taps - 1 - j);
          const wBase = (kh * kW + kw) * ci * co;
          const gBase = (i * b.taps + j) * co * ci;
          for (let c = 0; c < ci; c++) {
            for (let o = 0; o < co; o++) gv[gBase + o * ci + c] = w[wBase + c * co + o];
          }
        }
      }
      const part = conv2dExplicit(backend, dy, g, [1, 1], [1, 1], {
        top: a.padBefore,
        bottom: a.padAfter,
        left: b.padBefore,
        right: b.padAfter,
      });
      disposeInfos(backend, g);
      if (single) {
        result = part;
        continue;
      }
      // Scatter rows q0.. of this phase to dx rows first, first+sH, ...
      const src = f32(backend, part);
      const dst = f32(backend, dx!);
      const rowLen = b.rows * ci;
      for (let bn = 0; bn < n; bn++) {
        for (let i = 0; i < a.rows; i++) {
          const srcRow = (bn * a.rows + i) * rowLen;
          const dstRow = (bn * inHeight + a.first + i * sH) * inWidth * ci;
          for (let j = 0; j < b.rows; j++) {
            const s0 = srcRow + j * ci;
            const d0 = dstRow + (b.first + j * sW) * ci;
            for (let c = 0; c < ci; c++) dst[d0 + c] = src[s0 + c];
          }
        }
      }
      disposeInfos(backend, part);
    }
  }
  // A stride-1 conv with no tap reaching any row cannot happen, but be safe.
  return result ?? zerosOutput(backend, inputShape);
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
