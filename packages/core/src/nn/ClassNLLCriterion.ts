import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { Criterion, type Target, targetTensor } from './Criterion';
import { type CriterionSpec, specOf, weightList } from '../util/moduleSpec';
import { ModuleError } from '../util/errors';

/**
 * Torch's `nn.ClassNLLCriterion(weights?, sizeAverage = true, ignoreIndex = -100)`:
 * the negative log-likelihood of the target class, given log-probabilities.
 *
 * Shapes: input [N, C] or [C] (log-probabilities, e.g. from LogSoftMax);
 * target [N] or a scalar of 0-based class indices. Also input [N, d1, …, C]
 * with target [N, d1, …] (a class per step of a sequence): the class
 * dimension is last, as in our channels-last layouts (PyTorch's NLLLoss
 * takes [N, C, d1, …]); the average is over all counted entries. With `sizeAverage` the
 * loss is divided by the summed weights of the counted targets, as in Torch
 * and PyTorch; targets equal to `ignoreIndex` count for nothing (when all
 * are, the loss and gradient are 0, as THNN's). Any other target outside
 * [0, C) throws a ModuleError naming the target and C.
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
    if (!(x instanceof tf.Tensor) || x.rank === 0) throw this.shapeError('[N,C] or [C]', x instanceof tf.Tensor ? x.shape : 'a table');
    const c = x.shape[x.rank - 1];
    const n = x.size / c;
    const t0 = targetTensor(target, 'int32');
    if (t0.size !== n) throw this.shapeError(`a target of ${n} class indices`, [t0.size]);
    if (this.weights && this.weights.shape[0] !== c) throw this.shapeError(`${this.weights.shape[0]} classes (the weights' size)`, [n, c]);
    // Checked before any op: under a gradient tape, tensors saved for the
    // backward pass of ops already run would leak when this throws.
    this.checkTargets(t0, c);
    const logp = x.rank === 2 ? x : x.reshape([n, c]);
    const t = t0.reshape([-1]);
    const { safe, w } = this.targetWeights(t);
    // wasm's OneHot kernel ignores dtype (it writes int32 bits): make int32, then cast.
    const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(safe, c), 'float32')), 1);
    const total = tf.neg(tf.sum(tf.mul(picked, w)));
    return this.sizeAverage ? tf.div(total, this.divisor(w)) : total;
  }

  /**
   * Each target's weight (0 where it is `ignoreIndex`), which targets are
   * counted (`kept`, float 1 or 0), and the targets with ignored ones replaced
   * by class 0 so that they index safely. `t` is [M] int32.
   */
  targetWeights(t: Tensor): { safe: Tensor; w: Tensor; kept: Tensor } {
    const counted = tf.notEqual(t, this.ignoreIndex);
    const safe = tf.where(counted, t, tf.zerosLike(t));
    const kept = counted.cast('float32');
    const w = (this.weights ? tf.gather(this.weights, safe) : tf.onesLike(kept)).mul(kept);
    return { safe, w, kept };
  }

  /**
   * sizeAverage's divisor: the summed target weights. With none counted
   * (every target ignored) it is 1, so that the loss and gradient are 0 as
   * THNN's, not 0/0 (divNoNan would still give a NaN gradient).
   */
  divisor(w: Tensor): Tensor {
    const sum = tf.sum(w);
    return tf.where(tf.equal(sum, 0), tf.onesLike(sum), sum);
  }

  /**
   * Every target must be a class index in [0, C) or `ignoreIndex`, as THNN
   * asserts and PyTorch checks: a gather or one-hot would otherwise take an
   * out-of-range index silently (a zero loss) or fail obscurely, depending on
   * the backend. One read of the int32 targets.
   */
  private checkTargets(t: Tensor, c: number): void {
    for (const v of t.dataSync())
      if (v !== this.ignoreIndex && (v < 0 || v >= c))
        throw new ModuleError(
          this.typeName,
          `target ${v} is out of bounds: expected a class index in [0, ${c - 1}] (C = ${c}) or ignoreIndex ${this.ignoreIndex}`,
        );
  }

  override dispose(): void {
    super.dispose();
    this.weights?.dispose();
  }
}
