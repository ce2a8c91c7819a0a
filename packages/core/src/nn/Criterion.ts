import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, disposeActivity, flattenActivity, isTensor } from '../util/activity';
import { type CriterionSpec, specOf } from '../util/moduleSpec';
import { ModuleError, ShapeError } from '../util/errors';
import type { CTCTarget } from './CTCCriterion';

/**
 * A target: a tensor, a table of them, plain numbers (class indices,
 * values), or CTCCriterion's label sequences.
 */
export type Target = Activity | number | number[] | number[][] | CTCTarget;

/**
 * Torch7's `nn.Criterion`.
 *
 * `forward(input, target)` returns the loss as a number and keeps it in
 * `output`; `backward(input, target)` returns d loss / d input and keeps it
 * in `gradInput`. Subclasses implement `loss(input, target)`, a pure tfjs
 * function returning a scalar, which the fused training step also records.
 */
export abstract class Criterion {
  abstract readonly typeName: string;
  output = 0;
  gradInput: Activity = [];

  /** The loss as a scalar tensor, with input checks; errors name the criterion. */
  lossTensor(input: Activity, target: Target): Tensor {
    try {
      return this.loss(input, target);
    } catch (e) {
      if (e instanceof ShapeError || e instanceof ModuleError) throw e;
      throw new ModuleError(this.typeName, e);
    }
  }

  protected abstract loss(input: Activity, target: Target): Tensor;

  /**
   * How the loss combines the samples of a batch: their mean (Torch's
   * `sizeAverage = true`, the default) or their sum. Data-parallel training
   * weights each shard's gradient by it.
   */
  get batchReduction(): 'mean' | 'sum' {
    return (this as { sizeAverage?: unknown }).sizeAverage === false ? 'sum' : 'mean';
  }

  forward(input: Activity, target: Target): number {
    return this.updateOutput(input, target);
  }

  updateOutput(input: Activity, target: Target): number {
    const l = tf.tidy(() => this.lossTensor(input, target));
    this.output = l.dataSync()[0];
    l.dispose();
    return this.output;
  }

  backward(input: Activity, target: Target): Activity {
    return this.updateGradInput(input, target);
  }

  updateGradInput(input: Activity, target: Target): Activity {
    const xs = flattenActivity(input);
    const grads = tf.tidy(() => {
      const { value, grads } = tf.engine().gradients(() => this.lossTensor(input, target), xs, undefined, true);
      value.dispose();
      return grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
    });
    let k = 0;
    const rebuild = (a: Activity): Activity => (isTensor(a) ? grads[k++] : a.map(rebuild));
    const gradInput = rebuild(input);
    disposeActivity(this.gradInput, [...grads, ...xs]);
    this.gradInput = gradInput;
    return gradInput;
  }

  /** Frees `gradInput`. */
  clearState(): this {
    disposeActivity(this.gradInput);
    this.gradInput = [];
    return this;
  }

  dispose(): void {
    this.clearState();
  }

  /** A ShapeError naming this criterion. */
  protected shapeError(expected: string, actual: number[] | string): ShapeError {
    return new ShapeError(this.typeName, expected, Array.isArray(actual) ? `[${actual.join(',')}]` : actual);
  }

  /**
   * This criterion as JSON, which `criterionFromSpec` builds again. The
   * default suits one without constructor arguments; others override.
   */
  toSpec(): CriterionSpec {
    return specOf(this.typeName);
  }

  toString(): string {
    return `nn.${this.typeName}`;
  }
}

/** A target as a tensor of the given dtype (class indices are int32). */
export function targetTensor(target: Target, dtype: 'int32' | 'float32'): Tensor {
  if (isTensor(target as Activity)) {
    const t = target as Tensor;
    return t.dtype === dtype ? t : t.cast(dtype);
  }
  if (typeof target === 'number') return tf.scalar(target, dtype);
  return tf.tensor(target as number[], undefined, dtype);
}
