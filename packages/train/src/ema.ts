/**
 * An exponential moving average of a model's weights (Polyak averaging),
 * which a run validates and saves in place of the weights it trains.
 *
 * After step t the average moves toward the model by 1 − d, with
 * d = min(decay, (1 + t) / (10 + t)): TensorFlow's
 * `ExponentialMovingAverage(decay, num_updates)`, so that the first epochs'
 * average is not mostly the initial weights. Buffers (batch norm's running
 * statistics) are averaged too, as PyTorch's `AveragedModel(...,
 * use_buffers=True)`, so that they match the averaged weights; integer
 * buffers (batch norm's `num_batches_tracked`) are copied.
 */
import { tf, type Module, type Tensor, type Variable } from '@captcha-nn/core';

/** The decay used after step `t` (1-based). */
export function emaDecayAt(decay: number, t: number): number {
  return Math.min(decay, (1 + t) / (10 + t));
}

export class ExponentialMovingAverage {
  private readonly average = new Map<string, Variable>();

  /** Starts the average at the model's current state. */
  constructor(
    readonly decay: number,
    model: Module,
  ) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`ExponentialMovingAverage: the decay must be in (0, 1), got ${decay}`);
    const sd = model.stateDict();
    for (const [k, t] of Object.entries(sd)) {
      this.average.set(k, tf.variable(t, false));
      t.dispose();
    }
  }

  /** Folds the model's state in after optimizer step `t` (1-based). */
  update(model: Module, t: number): void {
    const d = emaDecayAt(this.decay, t);
    tf.tidy(() => {
      const sd = model.stateDict();
      for (const [k, avg] of this.average) {
        const now = sd[k]!;
        avg.assign(now.dtype === 'float32' ? tf.add(tf.mul(avg, d), tf.mul(now, 1 - d)) : now);
      }
    });
  }

  /** The averaged state dict: the average's own variables, not copies (the caller must not dispose them). */
  state(): Record<string, Tensor> {
    return Object.fromEntries(this.average);
  }

  /** Replaces the average with `state` (a checkpoint's): every key, with the shapes and dtypes it has. */
  load(state: Record<string, Tensor>): void {
    const problems: string[] = [];
    for (const [k, avg] of this.average) {
      const t = state[k];
      if (!t) problems.push(`${k} is missing`);
      else if (t.dtype !== avg.dtype || !tf.util.arraysEqual(t.shape, avg.shape))
        problems.push(`${k} is ${t.dtype} [${t.shape}], not ${avg.dtype} [${avg.shape}]`);
    }
    for (const k of Object.keys(state)) if (!this.average.has(k)) problems.push(`${k} is not in the model`);
    if (problems.length) throw new Error(`ExponentialMovingAverage.load: ${problems.join('; ')}`);
    for (const [k, avg] of this.average) avg.assign(state[k]!);
  }

  /** Runs `fn` with the average loaded into `model`, then puts the model's own state back, whatever `fn` does. */
  async applied<T>(model: Module, fn: () => Promise<T>): Promise<T> {
    const own = model.stateDict();
    try {
      model.loadStateDict(this.state());
      return await fn();
    } finally {
      model.loadStateDict(own);
      for (const t of Object.values(own)) t.dispose();
    }
  }

  dispose(): void {
    for (const v of this.average.values()) v.dispose();
    this.average.clear();
  }
}
