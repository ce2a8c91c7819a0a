import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ShapeError } from '../util/errors';
import { nextSeed } from '../util/random';
import { Module } from './Module';

/** Score of a padded key before the softmax: exp of it is 0 next to any real score. */
const PADDED_SCORE = -1e30;

/**
 * What BahdanauAttention and LuongAttention share (like PyTorch's private
 * `_ConvNd`; not exported from the package): everything but the score.
 *
 * Input: a table `{query, keys}` or `{query, keys, lengths | mask}`:
 * - query [N, querySize], e.g. a decoder's hidden state;
 * - keys [N, S, keySize], e.g. an encoder's S outputs or a CNN's S feature
 *   columns; they are also the values averaged into the context;
 * - optional lengths [N] (int32: row n uses keys 0 … lengths[n]−1) or mask
 *   [N, S] (bool or int32, nonzero = a real key). Padded keys get weight 0;
 *   a row without any real key gets all-zero weights and a zero context.
 *   Their gradInput entry is zeros, as for any integer input.
 *
 * Output: the context Σ_s weights[n, s] · keys[n, s] [N, keySize], with
 * weights = softmax over S of score(query, keys[:, s]); after
 * `returnWeights()` the table `{context, weights [N, S]}` (to plot or
 * supervise where the model looks; both entries are differentiable).
 */
export abstract class Attention extends Module {
  /** Whether the output is `{context, weights}` rather than the context alone. */
  private weightsToo = false;

  constructor(
    readonly querySize: number,
    readonly keySize: number,
  ) {
    super();
    const name = new.target.name;
    for (const [n, v] of Object.entries({ querySize, keySize }))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name}: ${n} must be a positive integer, got ${v}`);
  }

  /** Scores [N, S] of each key for each query (before the softmax). */
  protected abstract score(query: Tensor, keys: Tensor): Tensor;

  /** The part of the printing between the parentheses. */
  protected abstract describe(): string;

  /** Makes the output the table `{context, weights}` (with `false`: the context alone). */
  returnWeights(flag = true): this {
    this.weightsToo = flag;
    return this;
  }

  /** True after `returnWeights()`. */
  get returnsWeights(): boolean {
    return this.weightsToo;
  }

  /** Torch's uniform ±stdv initialisation of one parameter. */
  protected initUniform(name: string, stdv: number): void {
    const v = this.param(name)!.value;
    this.fill(v, () => tf.randomUniform(v.shape, -stdv, stdv, 'float32', nextSeed()));
  }

  protected w(name: string): Tensor {
    return this.param(name)!.value;
  }

  protected override checkInput(input: Activity): void {
    const expected = `{query [N,${this.querySize}], keys [N,S,${this.keySize}], optional lengths [N] or mask [N,S]}`;
    if (isTensor(input) || input.length < 2 || input.length > 3) throw new ShapeError(this.path(), expected, describeActivity(input));
    const q = this.expectShape(input[0], [['N', this.querySize]], 'query');
    const N = q.shape[0];
    const k = this.expectShape(input[1], [[N, 'S', this.keySize]], 'keys');
    if (input.length === 3) {
      const m = this.expectShape(input[2], [[N], [N, k.shape[1]!]], 'lengths or mask');
      const ok = m.dtype === 'int32' || (m.dtype === 'bool' && m.rank === 2);
      if (!ok) throw new ShapeError(this.path(), 'int32 lengths or a bool/int32 mask', `a ${m.dtype} ${describeActivity(m)}`);
    }
  }

  protected compute(input: Activity): Activity {
    const [query, keys, pad] = input as Tensor[];
    let scores = this.score(query, keys);
    let valid: Tensor | undefined;
    if (pad) {
      const S = keys.shape[1]!;
      valid = pad.rank === 1 ? tf.range(0, S, 1, 'int32').expandDims(0).less(pad.expandDims(1)) : pad.cast('bool');
      scores = tf.where(valid, scores, tf.fill(scores.shape, PADDED_SCORE));
    }
    let weights = tf.softmax(scores, -1);
    if (valid) weights = tf.where(valid, weights, tf.zerosLike(weights));
    const context = tf.matMul(weights.expandDims(1), keys).squeeze([1]);
    return this.weightsToo ? [context, weights] : context;
  }

  override toString(): string {
    return `nn.${this.typeName}(${this.describe()})${this.weightsToo ? ' -> {context, weights}' : ''}`;
  }
}
