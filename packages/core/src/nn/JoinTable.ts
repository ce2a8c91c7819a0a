import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { DimensionTable } from './DimensionTable';

/**
 * Torch's `nn.JoinTable(dimension, nInputDims?)`: concatenates a table of
 * tensors along `dimension`.
 *
 * `dimension` is 0-based; negative counts from the end. With `nInputDims`,
 * an input of `nInputDims + 1` dimensions is a batch and a non-negative
 * `dimension` shifts by one, as in Torch (`new JoinTable(0, 1)` joins
 * `[N, a]` and `[N, b]` into `[N, a + b]`).
 *
 * Shapes: the tensors must agree except along the joined dimension.
 * gradInput is gradOutput cut back into the inputs' parts.
 */
export class JoinTable extends DimensionTable {
  readonly typeName = 'JoinTable';

  protected override checkInput(input: Activity): void {
    const expected = `a table of tensors that agree except along dimension ${this.dimension}`;
    if (isTensor(input)) throw new ShapeError(this.path(), expected, `a tensor ${describeActivity(input)}`);
    if (input.length === 0 || !input.every(isTensor)) throw new ShapeError(this.path(), expected, describeActivity(input));
    const s0 = input[0].shape;
    const d = this.dim(s0.length);
    const fits = (t: Tensor) => t.rank === s0.length && t.shape.every((n, k) => k === d || n === s0[k]);
    if (d < 0 || d >= s0.length || !input.every(fits)) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Tensor {
    const xs = input as Tensor[];
    return tf.concat(xs, this.dim(xs[0].rank));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    this.checkInput(input);
    const xs = input as Tensor[];
    const d = this.dim(xs[0].rank);
    const sizes = xs.map((x) => x.shape[d]);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (!isTensor(gradOutput) || gradOutput.rank !== xs[0].rank || gradOutput.shape[d] !== total)
      throw new ModuleError(this.path(), `gradOutput ${describeActivity(gradOutput)} does not match the joined inputs`);
    const g = tf.tidy(() => tf.split(gradOutput, sizes, d));
    return this.setGradInput(g, input, gradOutput);
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }
}
