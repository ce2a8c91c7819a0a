/**
 * Winograd convolution for 3×3, stride-1, pad-1 layers on the wasm backend:
 * our own wasm SIMD kernels (packages/core/wasm/winograd.c, built by
 * wasm/build.sh into winogradBinary.ts), run on tfjs-backend-wasm's own heap,
 * so tensors are read and written in place.
 *
 * F(m×m, 3×3) computes an m×m output tile from an (m+2)² input tile with
 * (m+2)² multiplications per channel pair instead of 9m²: 2.25× fewer for
 * F(2×2), 4× fewer for F(4×4), at the price of small input/output/filter
 * transforms and, for F(4×4), some float32 rounding (about 1e-5 of the output
 * scale on the VGG shapes; more for the filter gradient, which therefore
 * takes F(2×2) unless forced). XNNPACK's direct convolution is already near what
 * wasm SIMD multiplies per second, so fewer multiplications is where the
 * speed comes from (docs/results.md, "Winograd").
 *
 * The module needs wasm SIMD; it comes in two builds, for tfjs's
 * single-threaded heap and for its threaded build's shared one. Where SIMD is
 * missing, or while a browser still compiles it, convolutions stay on
 * XNNPACK. With tfjs's threaded build in Node, helper threads
 * (winogradThreads.ts) take shares of each convolution's tiles.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { wasmSimd } from './relaxedSimd';
import { WINOGRAD_RELAXED_WASM_BASE64, WINOGRAD_SHARED_RELAXED_WASM_BASE64, WINOGRAD_SHARED_WASM_BASE64, WINOGRAD_WASM_BASE64 } from './winogradBinary';
import { type Share, splitTiles, WinogradPool } from './winogradThreads';

/** The embedded builds by SIMD level: [plain heap, shared heap]. */
const BUILDS = {
  plain: [WINOGRAD_WASM_BASE64, WINOGRAD_SHARED_WASM_BASE64],
  relaxed: [WINOGRAD_RELAXED_WASM_BASE64, WINOGRAD_SHARED_RELAXED_WASM_BASE64],
} as const;

/** `auto`: per shape (winogradTile); `off`: XNNPACK always; `f2`/`f4`: that size for every eligible layer. */
export type WinogradMode = 'auto' | 'off' | 'f2' | 'f4';
const MODES: readonly WinogradMode[] = ['auto', 'off', 'f2', 'f4'];
let mode: WinogradMode = envMode() ?? 'auto';

/** CAPTCHA_NN_WINOGRAD=off|f2|f4|auto in Node sets the starting mode (an unknown value is refused on import). */
function envMode(): WinogradMode | undefined {
  const v = typeof process !== 'undefined' ? process.env?.CAPTCHA_NN_WINOGRAD : undefined;
  if (!v) return undefined;
  if (!MODES.includes(v as WinogradMode)) throw new Error(`captcha-nn: unknown CAPTCHA_NN_WINOGRAD '${v}' (expected ${MODES.join(', ')})`);
  return v as WinogradMode;
}

/**
 * Chooses how the wasm backend runs 3×3 stride-1 pad-1 convolutions
 * (forward, input and filter gradients): `auto` (default, or
 * CAPTCHA_NN_WINOGRAD) picks Winograd F(4×4) or
 * F(2×2) or XNNPACK's direct convolution by shape; `off` keeps XNNPACK; `f2`
 * and `f4` force one Winograd size (for benchmarks and tests).
 */
export function setWinograd(m: WinogradMode): void {
  if (!MODES.includes(m)) throw new Error(`setWinograd: unknown mode '${m}' (expected ${MODES.join(', ')})`);
  mode = m;
}

export function getWinograd(): WinogradMode {
  return mode;
}

/**
 * How many convolutions (f2, f4) and filter gradients each Winograd size ran
 * in this process, and how many of them shared their tiles with helper
 * threads (`threaded`): a check that layers take it.
 */
export const winogradCalls = { f2: 0, f4: 0, filterGradF2: 0, filterGradF4: 0, threaded: 0 };

/** Largest input width the zero row covers. */
const MAX_CIN = 4096;
const STACK_BYTES = 64 * 1024;

/**
 * The tile size for a 3×3 stride-1 pad-1 convolution of x [n, h, w, cin] to
 * cout channels: 4, 2, or 0 for XNNPACK. From the interleaved measurements in
 * docs/results.md (benchmarks/winograd/bench.mjs): Winograd loses where few
 * input channels make the transforms outweigh the GEMMs (the first layer of
 * an image net), and F(4×4) needs enough tiles to amortise its larger
 * filter transform. The filter gradient (`filterGrad`) takes F(2×2) in
 * `auto`: F(4×4)'s sums over every tile lose too many bits (PyTorch parity
 * of the ResNet fixture's filter gradients failed at 1.2× the 1e-4 bound).
 */
export function winogradTile(n: number, h: number, w: number, cin: number, cout: number, filterGrad = false): 0 | 2 | 4 {
  if (mode === 'off' || cin > MAX_CIN || n * h * w * cin * cout === 0) return 0;
  if (mode === 'f2') return 2;
  if (mode === 'f4') return 4;
  if (cin < 8 || cout < 8) return 0;
  if (filterGrad) return 2;
  const tiles4 = n * Math.ceil(h / 4) * Math.ceil(w / 4);
  return tiles4 >= 64 ? 4 : 2;
}

interface Kernels {
  exports: {
    conv_f2: ConvFn;
    conv_f4: ConvFn;
    filter_f2: FilterFn;
    filter_f4: FilterFn;
    filter_grad_sum_f2: FilterGradSumFn;
    filter_grad_sum_f4: FilterGradSumFn;
    filter_grad_out_f2: FilterGradOutFn;
    filter_grad_out_f4: FilterGradOutFn;
    // channels.c, built into the same module (channelKernels.ts).
    channel_sums: (x: number, rows: number, c: number, acc: number) => void;
    channel_sq_dev: (x: number, rows: number, c: number, mean: number, acc: number) => void;
    channel_affine: (x: number, y: number, rows: number, c: number, scale: number, shift: number) => void;
    bn_grad_sums: (dy: number, x: number, rows: number, c: number, mean: number, db: number, dw: number) => void;
    bn_input_grad: (dy: number, x: number, dx: number, rows: number, c: number, mean: number, k: number, a: number, s: number) => void;
    maxpool2x2_grad: (x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number) => void;
    maxpool2x1_grad: (x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number) => void;
    conv3x3_c1_filter_grad: (x: number, dy: number, n: number, h: number, w: number, cout: number, acc: number) => void;
    conv3x3_c1: (x: number, f: number, n: number, h: number, w: number, cout: number, y: number) => void;
    adam_update: (
      x: number,
      m: number,
      v: number,
      g: number,
      n: number,
      beta1: number,
      a1: number,
      beta2: number,
      a2: number,
      eps: number,
      step: number,
      xo: number,
      mo: number,
      vo: number,
    ) => void;
    relu_grad: (dy: number, x: number, n: number, dx: number) => void;
    // lstm.c (LstmCell.ts).
    lstm_cell: (pre: number, cPrev: number, n: number, h: number, hOut: number, cOut: number, gates: number) => void;
    lstm_cell_grad: (gates: number, cPrev: number, dh: number, dcNext: number, n: number, h: number, dpre: number, dcPrev: number) => void;
    // gemm.c (BatchMatMul.ts).
    gemm_short_a: (a: number, b: number, c: number, m: number, k: number, n: number) => void;
    gemm_pack_b: (b: number, k: number, n: number, transposed: number, pb: number) => void;
    gemm_packed: (a: number, transposedA: number, pb: number, c: number, m: number, k: number, n: number) => void;
    __stack_pointer: WebAssembly.Global;
  };
  zeros: number;
}
/** Output tiles p0..p1 of y = conv(x, U) (all: 0..n·⌈h/m⌉·⌈w/m⌉). */
type ConvFn = (
  x: number,
  n: number,
  h: number,
  w: number,
  cin: number,
  u: number,
  cout: number,
  y: number,
  scratch: number,
  tb: number,
  zeros: number,
  p0: number,
  p1: number,
) => void;
type FilterFn = (g: number, cin: number, cout: number, u: number) => void;
/** du = the Winograd-domain filter gradient summed over tiles p0..p1. */
type FilterGradSumFn = (
  x: number,
  dy: number,
  n: number,
  h: number,
  w: number,
  cin: number,
  cout: number,
  scratch: number,
  tb: number,
  zeros: number,
  du: number,
  p0: number,
  p1: number,
) => void;
/** dW from `parts` consecutive du blocks, summed. */
type FilterGradOutFn = (du: number, parts: number, cin: number, cout: number, dw: number) => void;
interface Heap {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  asm?: { memory?: WebAssembly.Memory };
  wasmMemory?: WebAssembly.Memory;
}

type Compiled = WebAssembly.Module | 'pending' | 'failed' | undefined;
/** The compiled builds: [0] for a plain heap, [1] for a shared one. */
const compiledBuilds: [Compiled, Compiled] = [undefined, undefined];
const instances = new WeakMap<BackendWasm, Kernels | 'pending' | 'failed'>();
const pools = new WeakMap<BackendWasm, WinogradPool>();

function bytes(shared: boolean): Uint8Array {
  const s = atob(BUILDS[wasmSimd()][shared ? 1 : 0]);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function link(backend: BackendWasm, instance: WebAssembly.Instance): Kernels {
  const heap = backend.wasm as unknown as Heap;
  const exports = instance.exports as unknown as Kernels['exports'];
  // The module's shadow stack (a few spilled locals) and a zero row standing
  // for the padding pixels, both in blocks of the backend's heap we keep.
  const stack = heap._malloc(STACK_BYTES);
  exports.__stack_pointer.value = stack + STACK_BYTES;
  const zeros = heap._malloc((MAX_CIN + 8) * 4);
  new Float32Array(memoryOf(backend)!.buffer, zeros, MAX_CIN + 8).fill(0);
  return { exports, zeros };
}

/** Whether the heap is shared memory (tfjs's threaded build); browsers that are not cross-origin isolated have no SharedArrayBuffer at all. */
function isShared(memory: WebAssembly.Memory | undefined): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory?.buffer instanceof SharedArrayBuffer;
}

function memoryOf(backend: BackendWasm): WebAssembly.Memory | undefined {
  const heap = backend.wasm as unknown as Heap;
  const m = heap.asm?.memory ?? heap.wasmMemory;
  return m instanceof WebAssembly.Memory ? m : undefined;
}

/** The compiled build for a plain (0) or shared (1) heap, compiling it synchronously on first use; null where that fails. */
function compiledSync(shared: boolean): WebAssembly.Module | null {
  const i = shared ? 1 : 0;
  const c = compiledBuilds[i];
  if (c instanceof WebAssembly.Module) return c;
  if (c !== undefined) return null;
  try {
    compiledBuilds[i] = new WebAssembly.Module(bytes(shared) as BufferSource);
    return compiledBuilds[i] as WebAssembly.Module;
  } catch {
    return null;
  }
}

/**
 * The kernels instantiated on this backend's memory, or null while they are
 * not (yet) available. Node compiles synchronously; a browser's main thread
 * may refuse that for modules over 4 KB, so there the first calls start an
 * asynchronous compile and stay on XNNPACK until it is done.
 */
function kernelsFor(backend: BackendWasm): Kernels | null {
  const have = instances.get(backend);
  if (have === 'failed' || have === 'pending') return null;
  if (have) return have;
  wasmSimd(); // CAPTCHA_NN_WASM_SIMD=relaxed where the engine lacks it throws from the first kernel call, not into the fallback below
  const memory = memoryOf(backend);
  const i = isShared(memory) ? 1 : 0;
  if (!memory || compiledBuilds[i] === 'failed') {
    instances.set(backend, 'failed');
    return null;
  }
  const imports = { env: { memory } };
  try {
    const mod = compiledSync(i === 1);
    if (!mod) throw new Error('not compiled');
    const k = link(backend, new WebAssembly.Instance(mod, imports));
    instances.set(backend, k);
    return k;
  } catch {
    // No SIMD, or a main thread that wants async compiles.
    instances.set(backend, 'pending');
    const c = compiledBuilds[i];
    const start = c instanceof WebAssembly.Module ? Promise.resolve(c) : WebAssembly.compile(bytes(i === 1) as BufferSource);
    if (c === undefined) compiledBuilds[i] = 'pending';
    start
      .then(async (mod) => {
        compiledBuilds[i] = mod;
        const instance = await WebAssembly.instantiate(mod, imports);
        instances.set(backend, link(backend, instance));
      })
      .catch(() => {
        if (!(compiledBuilds[i] instanceof WebAssembly.Module)) compiledBuilds[i] = 'failed';
        instances.set(backend, 'failed');
      });
    return null;
  }
}

/**
 * Starts `helpers` threads that take shares of every Winograd convolution on
 * `backend` (tfjs's threaded build, whose heap is shared), given Node's
 * `Worker`. Resolves false, changing nothing, where the shared build cannot
 * run (no SIMD, or a heap that is not shared).
 */
export async function startWinogradThreads(backend: BackendWasm, helpers: number, Worker: typeof import('node:worker_threads').Worker): Promise<boolean> {
  const memory = memoryOf(backend);
  const mod = isShared(memory) ? compiledSync(true) : null;
  if (!memory || !mod || !kernelsFor(backend)) return false;
  pools.get(backend)?.close();
  pools.set(backend, await WinogradPool.start(backend, memory, mod, helpers, Worker));
  return true;
}

/** Stops the helper threads of `backend`, if any. */
export function stopWinogradThreads(backend: BackendWasm): void {
  pools.get(backend)?.close();
  pools.delete(backend);
}

/** Threads a Winograd convolution on `backend` runs on (1 without helpers). */
export function winogradThreads(backend: BackendWasm): number {
  return pools.get(backend)?.threads ?? 1;
}

/**
 * Tiles per block, a multiple of 4 (the GEMM micro-kernel's rows). A block's
 * transformed tiles (V, M: α²·tb·(Cin + Cout) floats) should stay in cache
 * between the transforms and the GEMMs, while every block rereads the whole
 * transformed filter (α²·Cin·Cout floats), and the filter gradient also
 * rewrites its sums. Measured (docs/results.md) on the benchmark layers:
 * forward 24 tiles, or all of them in one block when there are at most 120
 * (the 512-channel layers, whose 37 MB filter transform is then read once);
 * filter gradient 48.
 */
function tileBlock(tiles: number, filterGrad: boolean): number {
  const all = Math.ceil(tiles / 4) * 4;
  if (filterGrad) return Math.min(48, all);
  return all <= 120 ? all : 24;
}

export const offsetOf = (backend: BackendWasm, t: TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;

/** The module's exports on `backend`'s heap, or null while they are not instantiated (channelKernels.ts). */
export function moduleExports(backend: BackendWasm): Kernels['exports'] | null {
  return kernelsFor(backend)?.exports ?? null;
}

/**
 * Runs `kernel` over `tiles` tiles in blocks of `tb`, on the calling thread
 * and `backend`'s helper threads when it has them and there is more than a
 * block: each thread gets a contiguous range and a scratch block of
 * `scratchBytes` (and, with `sumBytes`, a sum block, the blocks consecutive
 * from the caller's, which is returned). `call(p0, p1, scratch, sum)` runs
 * the caller's share; `args` are the kernel's shared arguments as the
 * helpers pass them. Returns the first sum block and the number of shares.
 */
function runShared(
  backend: BackendWasm,
  kernel: Parameters<WinogradPool['run']>[0],
  args: number[],
  tiles: number,
  tb: number,
  scratchBytes: number,
  sumBytes: number,
  call: (p0: number, p1: number, scratch: number, sum: number) => void,
): { sum: number; parts: number; free: () => void } {
  const heap = backend.wasm as unknown as Heap;
  const pool = pools.get(backend);
  const ranges = splitTiles(tiles, tb, pool?.threads ?? 1);
  const scratch = heap._malloc(ranges.length * scratchBytes);
  const sum = sumBytes ? heap._malloc(ranges.length * sumBytes) : 0;
  const shares: Share[] = ranges.slice(1).map(([p0, p1], i) => ({ p0, p1, scratch: scratch + (i + 1) * scratchBytes, sum: sum + (i + 1) * sumBytes }));
  const own = () => call(ranges[0]![0], ranges[0]![1], scratch, sum);
  if (pool && shares.length) {
    pool.run(kernel, args, shares, own);
    winogradCalls.threaded++;
  } else own();
  return {
    sum,
    parts: ranges.length,
    free: () => {
      heap._free(scratch);
      if (sum) heap._free(sum);
    },
  };
}

/**
 * y = conv2d(x, filter), 3×3, stride 1, padding 1 on every side, NHWC, with
 * Winograd F(m×m, 3×3); null when the kernels are not available (the caller
 * then runs XNNPACK). x [n, h, w, cin] float32, filter [3, 3, cin, cout].
 */
export function winogradConv2d(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, m: 2 | 4): TensorInfo | null {
  const k = kernelsFor(backend);
  if (!k) return null;
  const [n, h, w, cin] = x.shape;
  const cout = filter.shape[3];
  const heap = backend.wasm as unknown as Heap;
  const a2 = (m + 2) ** 2;
  const cin4 = Math.ceil(cin / 4) * 4;
  const cout8 = Math.ceil(cout / 8) * 8;
  const tiles = n * Math.ceil(h / m) * Math.ceil(w / m);
  const tb = tileBlock(tiles, false);
  const out = backend.makeOutput([n, h, w, cout], 'float32');
  const u = heap._malloc(a2 * cin4 * cout8 * 4);
  const e = k.exports;
  (m === 2 ? e.filter_f2 : e.filter_f4)(offsetOf(backend, filter), cin, cout, u);
  const conv = m === 2 ? e.conv_f2 : e.conv_f4;
  const [xp, yp] = [offsetOf(backend, x), offsetOf(backend, out)];
  // The helpers' arguments: conv's, with slot 8 (scratch) their own.
  const args = [xp, n, h, w, cin, u, cout, yp, 0, tb, k.zeros];
  const run = runShared(backend, m === 2 ? 'conv_f2' : 'conv_f4', args, tiles, tb, a2 * tb * (cin4 + cout8) * 4, 0, (p0, p1, scratch) =>
    conv(xp, n, h, w, cin, u, cout, yp, scratch, tb, k.zeros, p0, p1),
  );
  run.free();
  heap._free(u);
  winogradCalls[m === 2 ? 'f2' : 'f4']++;
  return out;
}

/**
 * conv2d's filter gradient for the same convolution (3×3, stride 1, padding
 * 1): dW [3, 3, cin, cout] from x [n, h, w, cin] and dy [n, h, w, cout],
 * summing the Winograd-domain products of the input tiles and of dy's tiles
 * over every tile (each thread its own range, the sums added at the end),
 * then transforming back; null when the kernels are not available.
 */
export function winogradFilterGrad(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, m: 2 | 4): TensorInfo | null {
  const k = kernelsFor(backend);
  if (!k) return null;
  const [n, h, w, cin] = x.shape;
  const cout = dy.shape[3];
  const a2 = (m + 2) ** 2;
  const cin4 = Math.ceil(cin / 4) * 4;
  const cout8 = Math.ceil(cout / 8) * 8;
  const tiles = n * Math.ceil(h / m) * Math.ceil(w / m);
  const tb = tileBlock(tiles, true);
  const out = backend.makeOutput([3, 3, cin, cout], 'float32');
  const e = k.exports;
  const sum = m === 2 ? e.filter_grad_sum_f2 : e.filter_grad_sum_f4;
  const [xp, dyp] = [offsetOf(backend, x), offsetOf(backend, dy)];
  // The helpers' arguments: filter_grad_sum's up to zeros, with slot 7 (scratch) their own; each adds its own sum block.
  const args = [xp, dyp, n, h, w, cin, cout, 0, tb, k.zeros];
  const run = runShared(
    backend,
    m === 2 ? 'filter_grad_sum_f2' : 'filter_grad_sum_f4',
    args,
    tiles,
    tb,
    a2 * tb * (cin4 + cout8) * 4,
    a2 * cin4 * cout8 * 4,
    (p0, p1, scratch, du) => sum(xp, dyp, n, h, w, cin, cout, scratch, tb, k.zeros, du, p0, p1),
  );
  (m === 2 ? e.filter_grad_out_f2 : e.filter_grad_out_f4)(run.sum, run.parts, cin, cout, offsetOf(backend, out));
  run.free();
  winogradCalls[m === 2 ? 'filterGradF2' : 'filterGradF4']++;
  return out;
}

/**
 * Winograd for a convolution that qualifies (3×3 filter, stride 1, dilation
 * 1, padding 1 on every side, float32) when the shape's choice is not
 * XNNPACK; null otherwise.
 */
export function tryWinograd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: { top: number; bottom: number; left: number; right: number },
): TensorInfo | null {
  const [kh, kw, , cout] = filter.shape;
  if (kh !== 3 || kw !== 3 || x.shape.length !== 4 || x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  if (strides[0] !== 1 || strides[1] !== 1 || dilations[0] !== 1 || dilations[1] !== 1) return null;
  if (pads.top !== 1 || pads.bottom !== 1 || pads.left !== 1 || pads.right !== 1) return null;
  const [n, h, w, cin] = x.shape;
  const m = winogradTile(n, h, w, cin, cout);
  return m === 0 ? null : winogradConv2d(backend, x, filter, m);
}

/** Winograd for the filter gradient of a qualifying convolution (as tryWinograd), or null. */
export function tryWinogradFilterGrad(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: number[],
  strides: [number, number],
  pads: { top: number; bottom: number; left: number; right: number },
): TensorInfo | null {
  if (filterShape[0] !== 3 || filterShape[1] !== 3 || x.shape.length !== 4 || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  if (strides[0] !== 1 || strides[1] !== 1 || pads.top !== 1 || pads.bottom !== 1 || pads.left !== 1 || pads.right !== 1) return null;
  const [n, h, w, cin] = x.shape;
  const m = winogradTile(n, h, w, cin, filterShape[3], true);
  return m === 0 ? null : winogradFilterGrad(backend, x, dy, m);
}
