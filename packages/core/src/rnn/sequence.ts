/** Helpers for sequences given as tables of steps or as [T, ...] tensors. */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { ModuleError } from '../util/errors';

/** Cheap copy of an activity (tfjs clones share the data). */
export function cloneActivity(a: Activity): Activity {
  return isTensor(a) ? a.clone() : a.map(cloneActivity);
}

/** The steps of a sequence: a table's elements, or a [T, ...] tensor's slices (new tensors, `owned`). */
export function splitSteps(a: Activity, path: string): { steps: Activity[]; owned: Tensor[] } {
  if (isTensor(a)) {
    if (a.rank < 1) throw new ModuleError(path, 'expected a [T, ...] tensor or a table of steps');
    const steps = unstackSteps(a);
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

/** `tf.unstack(x)` along axis 0; one step is reshaped, since tfjs' Unpack gradient fails with one output. */
export function unstackSteps(x: Tensor): Tensor[] {
  return x.shape[0] === 1 ? [x.reshape(x.shape.slice(1))] : tf.unstack(x);
}
