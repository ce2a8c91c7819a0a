import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { Criterion, type Target, targetTensor } from './Criterion';
import { type CriterionSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.MSECriterion(sizeAverage = true)`: Σ (x − t)², divided by the
 * number of elements when `sizeAverage`.
 *
 * Shapes: input any; target with as many elements (tensor or plain
 * numbers), read in the input's shape as Torch does.
 */
export class MSECriterion extends Criterion {
  readonly typeName = 'MSECriterion';

  constructor(readonly sizeAverage = true) {
    super();
  }

  override toSpec(): CriterionSpec {
    return specOf(this.typeName, [this.sizeAverage]);
  }

  protected loss(input: Activity, target: Target): Tensor {
    if (!isTensor(input)) throw this.shapeError('a tensor', 'a table');
    const t = targetTensor(target, 'float32');
    if (t.size !== input.size) throw this.shapeError(`a target of ${input.size} elements, as the input [${input.shape.join(',')}]`, t.shape);
    const total = tf.sum(tf.squaredDifference(input, t.reshape(input.shape)));
    return this.sizeAverage ? total.div(input.size) : total;
  }
}
