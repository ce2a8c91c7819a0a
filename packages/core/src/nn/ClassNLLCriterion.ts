import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { Criterion, type Target, targetTensor } from './Criterion';
import { type CriterionSpec, specOf, weightList } from '../util/moduleSpec';

/**
 * Torch's `nn.ClassNLLCriterion(weights?, sizeAverage = true, ignoreIndex = -100)`:
 * the negative log-likelihood of the target class, given log-probabilities.
 *
 * Shapes: input [N, C] or [C] (log-probabilities, e.g. from LogSoftMax);
 * target [N] or a scalar of 0-based class indices. With `sizeAverage` the
 * loss is divided by the summed weights of the counted targets, as in Torch
 * and PyTorch; targets equal to `ignoreIndex` count for nothing.
 */
export class ClassNLLCriterion extends Criterion {
  readonly typeName = 'ClassNLLCriterion';
  readonly weights?: Tensor;

  constructor(
    weights?: Tensor | number[],
    readonly sizeAverage = true,
    readonly ignoreIndex = -100,
  ) {
    super();
    if (weights) this.weights = tf.keep(weights instanceof tf.Tensor ? weights.clone() : tf.tensor1d(weights));
  }

  override toSpec(): CriterionSpec {
    return specOf(this.typeName, [weightList(this.weights), this.sizeAverage, this.ignoreIndex]);
  }

  protected loss(input: Activity, target: Target): Tensor {
    const x = input as Tensor;
    if (!(x instanceof tf.Tensor) || (x.rank !== 1 && x.rank !== 2))
      throw this.shapeError('[N,C] or [C]', x instanceof tf.Tensor ? x.shape : 'a table');
    const logp = x.rank === 1 ? x.reshape([1, -1]) : x;
    const [n, c] = logp.shape;
    const t = targetTensor(target, 'int32').reshape([-1]);
    if (t.shape[0] !== n) throw this.shapeError(`a target of ${n} class indices`, t.shape);
    if (this.weights && this.weights.shape[0] !== c)
      throw this.shapeError(`${this.weights.shape[0]} classes (the weights' size)`, logp.shape);
    const kept = tf.notEqual(t, this.ignoreIndex);
    const safe = tf.where(kept, t, tf.zerosLike(t));
    const w = (this.weights ? tf.gather(this.weights, safe) : tf.onesLike(safe).cast('float32')).mul(kept.cast('float32'));
    // wasm's OneHot kernel ignores dtype (it writes int32 bits): make int32, then cast.
    const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(safe, c), 'float32')), 1);
    const total = tf.neg(tf.sum(tf.mul(picked, w)));
    return this.sizeAverage ? tf.div(total, tf.sum(w)) : total;
  }

  override dispose(): void {
    super.dispose();
    this.weights?.dispose();
  }
}
