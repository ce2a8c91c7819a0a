import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';

/**
 * What flows between modules: a tensor, or a Torch-style table (a nested
 * array of tensors).
 */
export type Activity = Tensor | Activity[];

export function isTensor(a: unknown): a is Tensor {
  return a instanceof tf.Tensor;
}

/** Every tensor in an activity, depth first. */
export function flattenActivity(a: Activity | null | undefined, out: Tensor[] = []): Tensor[] {
  if (a == null) return out;
  if (isTensor(a)) out.push(a);
  else for (const x of a) flattenActivity(x, out);
  return out;
}

/** An activity of the same structure, each tensor replaced by `f(tensor)`. */
export function mapActivity(a: Activity, f: (t: Tensor) => Tensor): Activity {
  return isTensor(a) ? f(a) : a.map((x) => mapActivity(x, f));
}

/** Rebuilds an activity shaped like `like` from a flat list of tensors. */
export function unflattenActivity(like: Activity, flat: Tensor[]): Activity {
  let i = 0;
  const build = (a: Activity): Activity => (isTensor(a) ? flat[i++] : a.map(build));
  return build(like);
}

/**
 * Disposes the tensors of `old` that are neither in `keep` nor already
 * disposed. Modules use it to free last step's buffers without freeing the
 * tensors they merely pass through.
 */
export function disposeActivity(old: Activity | null | undefined, keep: Iterable<Tensor> = []): void {
  if (old == null) return;
  const kept = new Set(keep);
  for (const t of flattenActivity(old)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}

/** Disposes a list of tensors (if any), skipping those already disposed. */
export function disposeList(l: Tensor[] | null | undefined): void {
  if (l) for (const t of l) if (!t.isDisposed) t.dispose();
}

/** Shape of an activity, for messages: `[2,3]` or `{[2,3], [2,3]}`. */
export function describeActivity(a: Activity | null | undefined): string {
  if (a == null) return 'nothing';
  if (isTensor(a)) return `[${a.shape.join(',')}]`;
  return `{${a.map(describeActivity).join(', ')}}`;
}
