/**
 * `BatchMatMul` for wasm with transposes made explicit.
 *
 * The stock kernel uses XNNPACK only for an unbatched product with neither
 * operand transposed; otherwise it runs a scalar loop, several times slower
 * (docs/backends.md). Linear's forward is transposeB and its weight
 * gradient transposeA, so we transpose the operand
 * (a memory pass) and run the XNNPACK product; or, where the second operand
 * is much the larger, the product with the operands swapped. Batched products stay on the
 * stock kernel (its loop is no faster either way). A plain product of a short a with a b
 * that no product has used yet runs in wasm SIMD (shortProduct).
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
  const fast = (transposeA || transposeB) && plain;
  if (!fast) return runStock(backend, name, inputs, attrs as never);
  if (name === BatchMatMul && transposeB && !transposeA && packSmallerPays(a, b)) {
    // a·bᵀ as (b·aᵀ)ᵀ: XNNPACK packs its second operand on every call, so give it the small one
    // (Linear's forward: a batch of inputs against the weight matrix).
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
