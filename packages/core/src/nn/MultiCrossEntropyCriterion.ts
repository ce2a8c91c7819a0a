import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { type Target, targetTensor } from './Criterion';
import { CrossEntropyCriterion, checkLabelSmoothing } from './CrossEntropyCriterion';
import { type CriterionSpec, specOf } from '../util/moduleSpec';

/**
 * `nn.MultiCrossEntropyCriterion()` of the 2016 Torch captcha solver: a
 * CrossEntropyCriterion over k characters at once.
 *
 * Shapes: input [N, k, C] scores (k positions, C classes); target [N, k] of
 * 0-based class indices (tensor or nested numbers). The input is viewed as
 * [N·k, C] and the target as [N·k], so the loss is the cross-entropy
 * (log-softmax over C) averaged over all N·k positions.
 *
 * Args:
 *   labelSmoothing: as CrossEntropyCriterion's (PyTorch's `label_smoothing`),
 *     per position; 0 (the default) is the 2016 criterion.
 */
export class MultiCrossEntropyCriterion extends CrossEntropyCriterion {
  override readonly typeName = 'MultiCrossEntropyCriterion';

  constructor(labelSmoothing = 0) {
    super(undefined, true, checkLabelSmoothing('MultiCrossEntropyCriterion', labelSmoothing));
  }

  override toSpec(): CriterionSpec {
    return this.labelSmoothing > 0 ? specOf(this.typeName, [this.labelSmoothing]) : specOf(this.typeName);
  }

  protected override loss(input: Activity, target: Target): Tensor {
    if (!isTensor(input) || input.rank !== 3) throw this.shapeError('[N,k,C]', isTensor(input) ? input.shape : 'a table');
    const [n, k, c] = input.shape;
    const t = targetTensor(target, 'int32');
    if (t.size !== n * k) throw this.shapeError(`a target [${n},${k}] of class indices`, t.shape);
    return this.smoothedNLL(tf.logSoftmax(input.reshape([n * k, c]), -1), t.reshape([n * k]));
  }
}
