import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { ShapeError } from '../util/errors';
import { nextSeed } from '../util/random';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.LookupTable(nIndex, nOutput, paddingValue?, maxNorm?, normType = 2)`:
 * an embedding, row `i` of `weight` for index `i` (PyTorch's `nn.Embedding`).
 *
 * Shapes: input [N] or [N, L] of 0-based indices in [0, nIndex), int32
 * (float indices are truncated); output [N, nOutput] or [N, L, nOutput].
 * `weight` is [nIndex, nOutput], initialised normal(0, 1) as Torch's `reset()`.
 *
 * The gradient goes to `weight` only: `gradInput` is zeros of the index
 * shape, as in Torch. Rows looked up several times accumulate their
 * gradients; the `paddingValue` row (0-based, negative counts from the end;
 * PyTorch's `padding_idx`) gets none. It is initialised like the others, as
 * Torch's (PyTorch zeroes it). With `maxNorm`, each forward first scales
 * the rows it looks up whose `normType`-norm exceeds maxNorm by
 * maxNorm/(norm + 1e-7), in place, as Torch's and PyTorch's renorm.
 */
export class LookupTable extends Module {
  readonly typeName = 'LookupTable';
  /** The 0-based padding row, or undefined for none. */
  paddingValue?: number;

  constructor(
    readonly nIndex: number,
    readonly nOutput: number,
    paddingValue?: number,
    public maxNorm?: number,
    public normType?: number,
  ) {
    super();
    if (!Number.isInteger(nIndex) || nIndex < 1 || !Number.isInteger(nOutput) || nOutput < 1)
      throw new RangeError(`nn.LookupTable: sizes must be positive integers, got ${nIndex}, ${nOutput}`);
    this.setPadding(paddingValue);
    this.addParameter('weight', tf.zeros([nIndex, nOutput]));
    this.reset();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.nIndex, this.nOutput, this.paddingValue, this.maxNorm, this.normType]);
  }

  get weight(): Tensor {
    return this.param('weight')!.value;
  }
  get gradWeight(): Tensor {
    return this.param('weight')!.grad;
  }

  /** Torch's `setPadding`: the row that gets no gradient (0-based; negative from the end; undefined for none). */
  setPadding(paddingValue?: number): this {
    if (paddingValue === undefined || paddingValue === null) {
      this.paddingValue = undefined;
      return this;
    }
    const p = paddingValue < 0 ? this.nIndex + paddingValue : paddingValue;
    if (!Number.isInteger(p) || p < 0 || p >= this.nIndex)
      throw new RangeError(`nn.LookupTable: paddingValue ${paddingValue} out of range for ${this.nIndex} rows`);
    this.paddingValue = p;
    return this;
  }

  /** Torch's `setMaxNorm`. */
  setMaxNorm(maxNorm?: number): this {
    this.maxNorm = maxNorm;
    return this;
  }

  /** Torch's `setNormType`. */
  setNormType(normType?: number): this {
    this.normType = normType;
    return this;
  }

  /** Torch's `reset(stdv = 1)`: weight normal(0, stdv). */
  override reset(stdv = 1): this {
    const w = this.param('weight')!.value;
    this.fill(w, () => tf.randomNormal(w.shape, 0, stdv, 'float32', nextSeed()));
    return this;
  }

  protected override checkInput(input: Activity): void {
    const x = this.expectShape(input, [['N'], ['N', 'L']], 'indices');
    if (x.size === 0) return;
    const v = x.dataSync();
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of v) {
      if (i < lo) lo = i;
      if (i > hi) hi = i;
    }
    if (lo < 0 || Math.trunc(hi) >= this.nIndex) throw new ShapeError(this.path(), `indices in [0, ${this.nIndex - 1}]`, `indices in [${lo}, ${hi}]`);
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    const flat = (x.dtype === 'int32' ? x : x.cast('int32')).reshape([-1]);
    if (this.maxNorm !== undefined && !this.recomputing) this.renorm(flat);
    const pad = this.paddingValue;
    const [nIndex, nOutput] = [this.nIndex, this.nOutput];
    // gather, with the gradient scattered back (summing repeated rows) except into the padding row.
    // (The indices are saved for the backward: tensors a closure holds are freed after the forward.)
    const lookup = tf.customGrad((...args: (Tensor | ((ts: Tensor[]) => void))[]) => {
      const [w, save] = args as [Tensor, (ts: Tensor[]) => void];
      save([flat]);
      return {
        value: tf.gather(w, flat),
        gradFunc: (dy: Tensor, [idx]: Tensor[]) => {
          const g = pad === undefined ? dy : dy.mul(tf.notEqual(idx, pad).cast('float32').expandDims(1));
          return tf.scatterND(idx.expandDims(1), g, [nIndex, nOutput]);
        },
      };
    });
    return lookup(this.weight).reshape([...x.shape, nOutput]);
  }

  /** Rescales, in place, the looked-up rows whose norm exceeds maxNorm. */
  private renorm(flat: Tensor): void {
    const maxNorm = this.maxNorm!;
    const p = this.normType ?? 2;
    const w = this.param('weight')!.value;
    tf.tidy(() => {
      const used = tf.scatterND(flat.expandDims(1), tf.ones([flat.size]), [this.nIndex]).greater(0);
      const a = w.abs();
      const norms =
        p === 1
          ? a.sum(1)
          : p === 2
            ? a.square().sum(1).sqrt()
            : a
                .pow(p)
                .sum(1)
                .pow(1 / p);
      const over = used.logicalAnd(norms.greater(maxNorm));
      const scale = tf.where(over, tf.div(maxNorm, norms.add(1e-7)), tf.onesLike(norms));
      w.assign(w.mul(scale.expandDims(1)));
    });
  }

  /** Zeros of the index shape: indices have no gradient. */
  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    return this.setGradInput(tf.zeros((input as Tensor).shape), input, gradOutput);
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    this.accGradParameters(input, gradOutput, scale);
    return this.updateGradInput(input, gradOutput);
  }
}
