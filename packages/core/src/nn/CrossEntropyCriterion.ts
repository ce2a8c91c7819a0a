import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { ClassNLLCriterion } from './ClassNLLCriterion';
import { Criterion, type Target } from './Criterion';
import { type CriterionSpec, specOf, weightList } from '../util/moduleSpec';

/**
 * Torch's `nn.CrossEntropyCriterion(weights?, sizeAverage = true)`:
 * LogSoftMax over the class dimension, then ClassNLLCriterion.
 *
 * Shapes: input [N, C] or [C] scores; target [N] (or a scalar) of 0-based
 * class indices, as a tensor or plain numbers. Like Torch, which squeezes
 * its input, extra singleton dimensions between N and C are accepted
 * ([N,1,1,C], a 1×1 NHWC map). Weights and averaging are ClassNLLCriterion's.
 */
export class CrossEntropyCriterion extends Criterion {
  readonly typeName: string = 'CrossEntropyCriterion';
  /** The ClassNLLCriterion applied to the log-probabilities. */
  readonly nll: ClassNLLCriterion;

  constructor(weights?: Tensor | number[], sizeAverage = true) {
    super();
    this.nll = new ClassNLLCriterion(weights, sizeAverage);
  }

  override toSpec(): CriterionSpec {
    return specOf(this.typeName, [weightList(this.weights), this.sizeAverage]);
  }

  get sizeAverage(): boolean {
    return this.nll.sizeAverage;
  }

  get weights(): Tensor | undefined {
    return this.nll.weights;
  }

  protected loss(input: Activity, target: Target): Tensor {
    return this.nll.lossTensor(tf.logSoftmax(this.scores(input), -1), target);
  }

  /** The input as [N, C] or [C] scores; shape errors name this criterion. */
  protected scores(input: Activity): Tensor {
    if (!isTensor(input)) throw this.shapeError('[N,C] or [C]', 'a table');
    const x = input;
    if (x.rank === 1 || x.rank === 2) return x;
    if (x.rank > 2 && x.shape.slice(1, -1).every((d) => d === 1)) return x.reshape([x.shape[0], x.shape[x.rank - 1]]);
    throw this.shapeError('[N,C] or [C]', x.shape);
  }

  override dispose(): void {
    super.dispose();
    this.nll.dispose();
  }
}
