import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { Criterion, type Target } from '../nn/Criterion';
import { type CriterionSpec, specOf } from '../util/moduleSpec';
import { unstackSteps } from './sequence';
import { ModuleError } from '../util/errors';

/**
 * rnn's `nn.SequencerCriterion(criterion, sizeAverage = false)`: applies
 * `criterion` to each step and sums the losses (divided by the number of
 * steps with `sizeAverage`).
 *
 * Shapes: input a table of T steps or a [T, N, ...] tensor; target a table
 * (or array) of T step targets or a [T, ...] tensor.
 */
export class SequencerCriterion extends Criterion {
  readonly typeName = 'SequencerCriterion';

  constructor(
    readonly criterion: Criterion,
    readonly sizeAverage = false,
  ) {
    super();
  }

  /** The step criterion's: `sizeAverage` here averages over time steps, not over the batch. */
  override get batchReduction(): 'mean' | 'sum' {
    return this.criterion.batchReduction;
  }

  /** `args: [criterion, sizeAverage]`, the step criterion as a nested spec. */
  override toSpec(): CriterionSpec {
    return specOf(this.typeName, [this.criterion.toSpec(), this.sizeAverage]);
  }

  override clearState(): this {
    this.criterion.clearState();
    return super.clearState();
  }

  /** Frees the step criterion too (its class weights). */
  override dispose(): void {
    this.criterion.dispose();
    super.dispose();
  }

  protected loss(input: Activity, target: Target): Tensor {
    const xs = isTensor(input) ? unstackSteps(input) : input;
    const ts: Target[] = isTensor(target as Activity) ? unstackSteps(target as Tensor) : (target as Target[]);
    if (!Array.isArray(ts) || ts.length !== xs.length)
      throw new ModuleError(this.typeName, `expected ${xs.length} step targets, got ${Array.isArray(ts) ? ts.length : 'a number'}`);
    const total = tf.addN(xs.map((x, t) => this.criterion.lossTensor(x, ts[t])));
    return this.sizeAverage ? total.div(xs.length) : total;
  }
}
