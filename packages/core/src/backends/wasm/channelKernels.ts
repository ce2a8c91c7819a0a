/**
 * Channel loops in wasm SIMD (channels.c, built into the Winograd module):
 * batch norm's sums and passes, as channelLoops.ts, 2×2 max pooling's
 * gradient, as MaxPoolGrad.ts, and a gray image's 3×3 convolution and its
 * filter gradient, four channels per instruction. Per-channel arrays are
 * copied through a scratch block of the heap; tensors are read and written
 * in place.
 */
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from './kernel_utils';
import { moduleExports, offsetOf } from './winograd';

type Exports = NonNullable<ReturnType<typeof moduleExports>>;
interface Heap {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}

/** Per-channel values (or per tap and channel) passed to a call: read into the scratch block before it, and (`out`) back after it. */
type ChannelArray = { data: Float64Array | Float32Array; f64: boolean; out?: boolean };

export interface ChannelKernels {
  /** acc[j] += Σ x[·, j] */
  sums(x: TensorInfo, acc: Float64Array): void;
  /** acc[j] += Σ (x[·, j] − mean[j])² */
  squaredDeviations(x: TensorInfo, mean: Float32Array, acc: Float64Array): void;
  /** y[·, j] = x[·, j]·scale[j] + shift[j] */
  affine(x: TensorInfo, y: TensorInfo, scale: Float32Array, shift: Float32Array): void;
  /** db[j] += Σ dy[·, j];  dw[j] += Σ dy[·, j]·(x[·, j] − mean[j]) */
  gradSums(dy: TensorInfo, x: TensorInfo, mean: Float32Array, db: Float64Array, dw: Float64Array): void;
  /** dx[·, j] = k[j]·(dy[·, j] − (x[·, j] − mean[j])·s[j]) + a[j] */
  inputGrad(dy: TensorInfo, x: TensorInfo, dx: TensorInfo, mean: Float32Array, k: Float32Array, a: Float32Array, s: Float32Array): void;
  /** dx of 2×2 stride-2 max pooling without padding, for the windows inside x [n, h, w, c] (dy [n, oh, ow, c]). */
  maxPool2x2Grad(x: TensorInfo, dy: TensorInfo, dx: TensorInfo): void;
  /** The same for 2×1 windows (stride 2 down, 1 across): x [n, h, w, c], dy [n, oh, w, c]. */
  maxPool2x1Grad(x: TensorInfo, dy: TensorInfo, dx: TensorInfo): void;
  /** acc [3·3·c] += the filter gradient of a 3×3 stride-1 pad-1 convolution of x [n, h, w, 1] to dy [n, h, w, c]. */
  conv3x3C1FilterGrad(x: TensorInfo, dy: TensorInfo, acc: Float64Array): void;
  /** y [n, h, w, c] = the 3×3 stride-1 pad-1 convolution of x [n, h, w, 1] with filter [3, 3, 1, c]. */
  conv3x3C1(x: TensorInfo, filter: TensorInfo, y: TensorInfo): void;
}

/** Whether a convolution is one the gray-image kernels take: one input channel, 3×3, stride 1, padding 1, no dilation. */
export function isGray3x3Same(info: backend_util.Conv2DInfo): boolean {
  const { filterHeight, filterWidth, inChannels, strideHeight, strideWidth, dilationHeight, dilationWidth, padInfo: p } = info;
  return (
    inChannels === 1 &&
    filterHeight === 3 &&
    filterWidth === 3 &&
    strideHeight === 1 &&
    strideWidth === 1 &&
    dilationHeight === 1 &&
    dilationWidth === 1 &&
    p.top === 1 &&
    p.bottom === 1 &&
    p.left === 1 &&
    p.right === 1
  );
}

/** Whether `v` holds one value per channel of `c` (leading 1s allowed), so that it broadcasts along a tensor's last axis. */
export function isChannelVector(v: TensorInfo, c: number): boolean {
  return v.shape[v.shape.length - 1] === c && v.shape.slice(0, -1).every((d) => d === 1);
}

/**
 * The SIMD loops for arrays of `c` channels on `backend`, or null where they
 * do not apply (c not a multiple of 4, or the module not instantiated): the
 * caller then runs channelLoops.ts.
 */
export function channelKernels(backend: BackendWasm, c: number): ChannelKernels | null {
  if (c % 4 !== 0) return null;
  const k = moduleExports(backend);
  if (!k) return null;
  const heap = backend.wasm as unknown as Heap;
  /** Copies `arrays` into one heap block, runs `call` with their offsets, copies the `out` ones back, frees the block. */
  const withScratch = (arrays: ChannelArray[], call: (e: Exports, ptrs: number[]) => void): void => {
    // float64 arrays first, so that every one is 8-byte aligned.
    const bytes = arrays.reduce((n, a) => n + a.data.length * (a.f64 ? 8 : 4), 0);
    const base = heap._malloc(bytes);
    try {
      const ptrs: number[] = [];
      let at = base;
      for (const a of arrays) {
        ptrs.push(at);
        at += a.data.length * (a.f64 ? 8 : 4);
      }
      // Views after the allocation: growing the heap detaches older ones.
      const view = (a: ChannelArray, p: number) =>
        a.f64 ? new Float64Array(heap.HEAPU8.buffer, p, a.data.length) : new Float32Array(heap.HEAPU8.buffer, p, a.data.length);
      arrays.forEach((a, i) => view(a, ptrs[i]!).set(a.data));
      call(k, ptrs);
      arrays.forEach((a, i) => {
        if (a.out) a.data.set(view(a, ptrs[i]!));
      });
    } finally {
      heap._free(base);
    }
  };
  const rowsOf = (x: TensorInfo) => x.shape.reduce((n, d) => n * d, 1) / c;
  const at = (t: TensorInfo) => offsetOf(backend, t);
  return {
    sums: (x, acc) => withScratch([{ data: acc, f64: true, out: true }], (e, [pa]) => e.channel_sums(at(x), rowsOf(x), c, pa!)),
    squaredDeviations: (x, mean, acc) =>
      withScratch(
        [
          { data: acc, f64: true, out: true },
          { data: mean, f64: false },
        ],
        (e, [pa, pm]) => e.channel_sq_dev(at(x), rowsOf(x), c, pm!, pa!),
      ),
    affine: (x, y, scale, shift) =>
      withScratch(
        [
          { data: scale, f64: false },
          { data: shift, f64: false },
        ],
        (e, [ps, ph]) => e.channel_affine(at(x), at(y), rowsOf(x), c, ps!, ph!),
      ),
    gradSums: (dy, x, mean, db, dw) =>
      withScratch(
        [
          { data: db, f64: true, out: true },
          { data: dw, f64: true, out: true },
          { data: mean, f64: false },
        ],
        (e, [pb, pw, pm]) => e.bn_grad_sums(at(dy), at(x), rowsOf(x), c, pm!, pb!, pw!),
      ),
    inputGrad: (dy, x, dx, mean, kk, a, s) =>
      withScratch(
        [mean, kk, a, s].map((data) => ({ data, f64: false })),
        (e, [pm, pk, pa, ps]) => e.bn_input_grad(at(dy), at(x), at(dx), rowsOf(x), c, pm!, pk!, pa!, ps!),
      ),
    maxPool2x2Grad: (x, dy, dx) => {
      const [n, h, w] = x.shape;
      k.maxpool2x2_grad(at(x), at(dy), at(dx), n!, h!, w!, c, dy.shape[1]!, dy.shape[2]!);
    },
    maxPool2x1Grad: (x, dy, dx) => {
      const [n, h, w] = x.shape;
      k.maxpool2x1_grad(at(x), at(dy), at(dx), n!, h!, w!, c, dy.shape[1]!);
    },
    conv3x3C1FilterGrad: (x, dy, acc) => {
      const [n, h, w] = x.shape;
      withScratch([{ data: acc, f64: true, out: true }], (e, [pa]) => e.conv3x3_c1_filter_grad(at(x), at(dy), n!, h!, w!, c, pa!));
    },
    conv3x3C1: (x, filter, y) => {
      const [n, h, w] = x.shape;
      k.conv3x3_c1(at(x), at(filter), n!, h!, w!, c, at(y));
    },
  };
}
