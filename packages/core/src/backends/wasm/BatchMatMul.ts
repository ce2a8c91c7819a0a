/**
 * `BatchMatMul` for wasm.
 *
 * A float32 product with more than 32 rows, either operand transposed,
 * batched or not, runs in our wasm SIMD (packedProduct): 1.2-1.4× the
 * XNNPACK product tfjs calls, and many times its scalar loop, which the stock
 * kernel runs for a transposed or batched operand (docs/backends.md). A
 * short a (a batch of rows against a weight) stays where it was measured
 * fastest: gemm.c's unpacked product for a b no product has used yet
 * (shortProduct), else XNNPACK, which keeps a b it has packed; a transposed
 * operand is then transposed first (a memory pass), or the product run with
 * the operands swapped where the second is much the larger. tfjs's threaded
 * build keeps XNNPACK, whose product runs on every thread.
 */
import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { type BackendWasm, batchOf, captureStock, disposeInfos, runStock, transposeLast2 } from './kernel_utils';
import { moduleExports, offsetOf } from './winograd';

/**
 * Runs stock kernel `name` with `transposeA/B` materialised when the product
 * is unbatched (so it takes XNNPACK's path); passes anything else through.
 */
export function matMulExplicitTranspose(
  name: string,
  args: { inputs: Record<string, TensorInfo>; backend: BackendWasm; attrs: Record<string, unknown> },
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  const plain = a.dtype === 'float32' && b.dtype === 'float32' && batchOf(a) === 1 && batchOf(b) === 1;
  if (plain && !transposeA && !transposeB && name === BatchMatMul) {
    const short = shortProduct(backend, a, b);
    if (short) return short;
  }
  if (name === BatchMatMul) {
    const packed = packedProduct(backend, a, b, transposeA, transposeB);
    if (packed) return packed;
  }
  const fast = (transposeA || transposeB) && plain;
  if (!fast) return runStock(backend, name, inputs, attrs as never);
  if (name === BatchMatMul && transposeB && !transposeA && packSmallerPays(a, b)) {
    // a·bᵀ as (b·aᵀ)ᵀ: the product packs its second operand, so give it the small one
    // (Linear's forward: a batch of inputs against the weight matrix).
    const swapped = packedProduct(backend, b, a, false, true);
    if (swapped) {
      const out = transposeLast2(backend, swapped);
      disposeInfos(backend, swapped);
      return out;
    }
    const aT = transposeLast2(backend, a);
    const bx = runStock(backend, name, { a: b, b: aT }, { ...attrs, transposeA: false, transposeB: false } as never);
    const out = transposeLast2(backend, bx);
    disposeInfos(backend, aT, bx);
    return out;
  }
  const aT = transposeA ? transposeLast2(backend, a) : null;
  const bT = transposeB ? transposeLast2(backend, b) : null;
  const out = runStock(backend, name, { ...inputs, a: aT ?? a, b: bT ?? b }, {
    ...attrs,
    transposeA: false,
    transposeB: false,
  } as never);
  disposeInfos(backend, aT, bT);
  return out;
}

/** Rows of a at most this many take gemm.c's product (measured: docs/results.md, "Short products"). */
const SHORT_ROWS = 32;

/** The b operands a plain product has seen: XNNPACK keeps them packed from their second product on. */
const seenB = new WeakSet<object>();

/**
 * a·b for a short a [m, k] against b [k, n] in wasm SIMD (gemm.c), which
 * reads b as it is, where XNNPACK packs all of b first and keeps it packed
 * for as long as the tensor lives. So gemm.c takes a b that no product has
 * used yet (a weight that changed this training step: XNNPACK's packing
 * then costs several times the product), and XNNPACK a b used again (an
 * inference forward's cached weight, once packed, is faster there). Null
 * where it does not apply.
 */
function shortProduct(backend: BackendWasm, a: TensorInfo, b: TensorInfo): TensorInfo | null {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  if (m > SHORT_ROWS || n < 16 || seenB.has(b.dataId)) return null;
  seenB.add(b.dataId);
  const e = moduleExports(backend);
  if (!e) return null;
  const lead = (a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2);
  const out = backend.makeOutput([...lead, m, n], 'float32');
  e.gemm_short_a(offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out), m, k, n);
  return out;
}

/**
 * a·b (either operand transposed, batched with broadcasting over the leading
 * axes) in wasm SIMD (gemm.c): b packed into panels of 8 columns, then 4×8
 * tiles, 1.2-1.4× XNNPACK's product through tf.matMul (docs/results.md, "Packed products").
 * Null where it does not apply: other dtypes, the module not instantiated, or
 * tfjs's threaded build, whose XNNPACK product runs on every thread.
 */
function packedProduct(backend: BackendWasm, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || productThreads(backend) > 1) return null;
  const batchA = batchOf(a);
  const batchB = batchOf(b);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const e = moduleExports(backend);
  if (!e) return null;
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const n = transposeB ? rb : cb;
  if (m <= SHORT_ROWS) return null;
  const lead = (batchB > batchA || (batchB === batchA && b.shape.length > a.shape.length) ? b : a).shape.slice(0, -2);
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([...lead, m, n], 'float32');
  if (n === 0 || batch === 0) return out;
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(p: number): void };
  const panels = Math.ceil(n / 8) * 8 * k;
  const pb = heap._malloc(Math.max(1, panels) * 4);
  const [pa, pbIn, pc] = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out)];
  for (let i = 0; i < batch; i++) {
    if (i === 0 || batchB > 1) e.gemm_pack_b(pbIn + (batchB > 1 ? i : 0) * k * n * 4, k, n, transposeB ? 1 : 0, pb);
    e.gemm_packed(pa + (batchA > 1 ? i : 0) * m * k * 4, transposeA ? 1 : 0, pb, pc + i * m * n * 4, m, k, n);
  }
  heap._free(pb);
  return out;
}

/** The threads XNNPACK's products run on: more than 1 in tfjs's threaded build (in Node with setWasmThreads, in a cross-origin isolated page). */
function productThreads(backend: BackendWasm): number {
  return (backend.wasm.tfjs as { getThreadsCount?: () => number }).getThreadsCount?.() ?? 1;
}

/**
 * Whether a·bᵀ is cheaper as (b·aᵀ)ᵀ: that transposes and packs a (M×K) and
 * transposes the M×N product, instead of transposing and packing b (N×K).
 */
function packSmallerPays(a: TensorInfo, b: TensorInfo): boolean {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 2];
  return m * (2 * k + n) < 2 * n * k;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  setupFunc: (backend) => captureStock(BatchMatMul)?.setupFunc?.(backend),
  kernelFunc: ((args: never) => matMulExplicitTranspose(BatchMatMul, args)) as unknown as KernelFunc,
};
