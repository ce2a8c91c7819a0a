/**
 * Splitting a batch along its first dimension (Torch's DataParallelTable
 * `dim`, 0-based here): shard sizes, the main thread's shard as tensor
 * slices, and the workers' shards as bytes.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Target } from '../nn/Criterion';
import { tf } from '../tf';
import { type Activity, flattenActivity, isTensor } from '../util/activity';
import type { Wire, WireDType } from './protocol';

/**
 * `batch` split into at most `parts` contiguous shards, sizes differing by at
 * most one, larger first, each of at least 2 samples where the batch has
 * them: batch norm cannot normalise a shard of one in training (a last
 * partial batch of 3 over 2 replicas stays whole on the main thread).
 */
export function shardSizes(batch: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, Math.floor(batch / 2)));
  const base = Math.floor(batch / n);
  return Array.from({ length: n }, (_, i) => base + (i < batch % n ? 1 : 0));
}

/** Whether an array is a table (holds tensors) rather than a batch of plain numbers. */
function isTable(a: unknown[]): boolean {
  return a.some((x) => isTensor(x) || (Array.isArray(x) && isTable(x)));
}

/** The batch size of `input`, checked against every tensor of the input and the target. */
export function batchSizeOf(input: Activity, target: Target): number {
  const first = flattenActivity(input)[0];
  if (!first || first.rank === 0) throw new TypeError('DataParallelTable: the input has no batch dimension to split');
  const batch = first.shape[0];
  const check = (a: unknown, what: string): void => {
    if (isTensor(a)) {
      if (a.rank === 0 || a.shape[0] !== batch)
        throw new TypeError(`DataParallelTable: ${what} [${a.shape}] does not have the input's batch size ${batch} first`);
    } else if (Array.isArray(a)) {
      if (isTable(a)) a.forEach((x, i) => check(x, `${what}[${i}]`));
      else if (a.length !== batch) throw new TypeError(`DataParallelTable: ${what} has ${a.length} entries, the batch ${batch}`);
    } else if (batch !== 1) {
      throw new TypeError(`DataParallelTable: ${what} (${String(a)}) has no batch dimension to split`);
    }
  };
  check(input, 'input');
  check(target, 'target');
  return batch;
}

/** Rows `[start, start + size)` of every tensor or number batch in `a`, as new tensors (dispose them). */
export function sliceBatch<T extends Target>(a: T, start: number, size: number): T {
  if (isTensor(a)) return tf.slice(a, start, size) as T;
  if (Array.isArray(a)) {
    if (isTable(a)) return (a as unknown[]).map((x) => sliceBatch(x as Target, start, size)) as T;
    return (a as unknown[]).slice(start, start + size) as T;
  }
  return a;
}

/** Every tensor's data read once (asynchronously), to cut the workers' shards from. */
export type BatchData = Map<Tensor, ArrayLike<number> & { slice(a: number, b: number): Wire & object }>;

export async function readBatch(a: Target, out: BatchData = new Map()): Promise<BatchData> {
  const ts = [] as Tensor[];
  const walk = (x: unknown) => {
    if (isTensor(x)) ts.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
  };
  walk(a);
  const datas = await Promise.all(ts.map((t) => t.data()));
  ts.forEach((t, i) => out.set(t, datas[i] as never));
  return out;
}

/** Rows `[start, start + size)` of `a` as bytes, from data read by `readBatch`. */
export function wireSlice(a: Target, data: BatchData, start: number, size: number): Wire {
  if (isTensor(a)) {
    const row = a.shape.slice(1).reduce((p, d) => p * d, 1);
    const values = data.get(a)!;
    // slice copies: a worker gets a buffer of its own shard only.
    const part = values.slice(start * row, (start + size) * row) as unknown as Float32Array;
    return { tensor: true, shape: [size, ...a.shape.slice(1)], dtype: a.dtype as WireDType, data: part };
  }
  if (Array.isArray(a)) {
    if (isTable(a)) return (a as unknown[]).map((x) => wireSlice(x as Target, data, start, size));
    return (a as unknown[]).slice(start, start + size) as Wire;
  }
  return a as number;
}

/**
 * The shards' outputs joined in order along `dim`, their batch dimension: tensors concatenated,
 * tables entry by entry. Each tensor must have its shard's size (`sizes[k]`) there.
 */
export function concatShards(parts: Activity[], sizes: number[], dim = 0): Activity {
  const first = parts[0];
  if (isTensor(first)) {
    parts.forEach((t, k) => {
      const shape = (t as Tensor).shape;
      if (shape[dim] !== sizes[k])
        throw new TypeError(
          `DataParallelTable.forward: shard ${k}'s output [${shape}] does not have its ${sizes[k]} samples in dimension ${dim} (set the output's batch dimension with { dim })`,
        );
    });
    return tf.concat(parts as Tensor[], dim);
  }
  return (first as Activity[]).map((_, i) =>
    concatShards(
      parts.map((p) => (p as Activity[])[i]!),
      sizes,
      dim,
    ),
  );
}

/** Frees the tensors `sliceBatch` made. */
export function disposeSlices(a: unknown): void {
  if (isTensor(a)) a.dispose();
  else if (Array.isArray(a)) a.forEach(disposeSlices);
}
