/** Helpers for sequences given as tables of steps or as [T, ...] tensors. */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { ModuleError } from '../util/errors';

/** Cheap copy of an activity (tfjs clones share the data). */
export function cloneActivity(a: Activity): Activity {
  return isTensor(a) ? a.clone() : a.map(cloneActivity);
}

/**
 * The steps of a sequence: a table's elements, or a [T, ...] tensor's slices
 * (new tensors). `pure`: under a gradient tape (intermediates left to the
 * enclosing tidy).
 */
export function splitSteps(a: Activity, path: string, pure = false): { steps: Activity[]; owned: Tensor[] } {
  if (isTensor(a)) {
    if (a.rank < 1) throw new ModuleError(path, 'expected a [T, ...] tensor or a table of steps');
    const steps = unstackSteps(a, !pure);
    return { steps, owned: steps };
  }
  return { steps: a, owned: [] };
}

/**
 * The steps of the last input, split once at forward and reused by backward
 * for the same input (the slices of a tensor input are owned and freed here).
 */
export class StepCache {
  private input: Activity | null = null;
  private steps: Activity[] = [];
  private owned: Tensor[] = [];

  of(input: Activity, path: string): Activity[] {
    if (input === this.input) return this.steps;
    this.clear();
    const { steps, owned } = splitSteps(input, path);
    this.input = input;
    this.steps = steps;
    this.owned = owned;
    return steps;
  }

  clear(): void {
    for (const t of this.owned) t.dispose();
    this.owned = [];
    this.steps = [];
    this.input = null;
  }
}

/** Stacks per-step tensors into one [T, ...] tensor. */
export function stackSteps(steps: Activity[], path: string): Tensor {
  if (!steps.every(isTensor)) throw new ModuleError(path, 'cannot stack table-valued steps into a tensor');
  return tf.stack(steps as Tensor[]);
}

export function reverseSteps<T>(xs: T[]): T[] {
  return xs.slice().reverse();
}

/**
 * `tf.unstack(x)` along axis 0 in O(size·√T) instead of O(size·T): wasm's
 * slice kernel copies its whole input, so T slices of a [T, ...] tensor cost
 * T² step-sizes; splitting into √T chunks first bounds that.
 */
export function unstackSteps(x: Tensor, freeChunks = true): Tensor[] {
  const T = x.shape[0] as number;
  const C = Math.ceil(Math.sqrt(T));
  if (T === 1) return [x.reshape(x.shape.slice(1))];
  if (T <= 4 || C >= T) return tf.unstack(x);
  const sizes: number[] = [];
  for (let t = 0; t < T; t += C) sizes.push(Math.min(C, T - t));
  const chunks = tf.split(x, sizes, 0);
  // (a one-step chunk is reshaped: tfjs' Unpack gradient fails with one output)
  const steps = chunks.flatMap((c) => (c.shape[0] === 1 ? [c.reshape(c.shape.slice(1))] : tf.unstack(c)));
  // Under a gradient tape the chunks must live on (pass freeChunks = false
  // and let the enclosing tidy free them).
  if (freeChunks) for (const c of chunks) c.dispose();
  return steps;
}
