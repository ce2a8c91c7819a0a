import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { DimensionTable } from './DimensionTable';

/**
 * Torch's `nn.SplitTable(dimension, nInputDims?)`: a tensor becomes the
 * table of its slices along `dimension` (that dimension removed).
 *
 * `dimension` is 0-based; negative counts from the end. With `nInputDims`,
 * an input of `nInputDims + 1` dimensions is a batch and a non-negative
 * `dimension` shifts by one, as in Torch (`new SplitTable(0, 2)` splits a
 * `[N, T, F]` batch into T tensors `[N, F]`).
 *
 * gradInput is gradOutput's entries stacked back along the dimension.
 */
export class SplitTable extends DimensionTable {
  readonly typeName = 'SplitTable';

  protected override checkInput(input: Activity): void {
    const expected = `a tensor with a dimension ${this.dimension}`;
    if (!isTensor(input)) throw new ShapeError(this.path(), expected, `a table ${describeActivity(input)}`);
    const d = this.dim(input.rank);
    if (d < 0 || d >= input.rank) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Activity {
    const x = input as Tensor;
    return tf.unstack(x, this.dim(x.rank));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    this.checkInput(input);
    const x = input as Tensor;
    const d = this.dim(x.rank);
    const sliceShape = x.shape.filter((_, k) => k !== d).join(',');
    if (isTensor(gradOutput) || gradOutput.length !== x.shape[d] || !gradOutput.every((g) => isTensor(g) && g.shape.join(',') === sliceShape))
      throw new ModuleError(this.path(), `expected gradOutput a table of ${x.shape[d]} tensors [${sliceShape}], got ${describeActivity(gradOutput)}`);
    const g = tf.tidy(() => tf.stack(gradOutput as Tensor[], d));
    return this.setGradInput(g, input, gradOutput);
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }
}
