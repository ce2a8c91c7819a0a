import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, disposeActivity, flattenActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { Module } from './Module';
import { zerosLikeActivity } from './SelectTable';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.NarrowTable(offset, length = 1)`: output = the `length` entries
 * of the input table starting at `offset`.
 *
 * `offset` is 0-based (Torch's `nn.NarrowTable(2, 3)` is
 * `new NarrowTable(1, 3)` here); negative counts from the end. The entries
 * are passed through, not copied. gradInput has the input's structure:
 * gradOutput's entries in the narrowed range, zeros elsewhere (this
 * module's own tensors), as in Torch.
 */
export class NarrowTable extends Module {
  readonly typeName = 'NarrowTable';
  protected override ownsBuffers = false;
  /** The resolved offset of the last backward: gradInput entries outside the range are ours. */
  private gradOffset = 0;

  constructor(
    readonly offset: number,
    readonly length = 1,
  ) {
    super();
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`NarrowTable: length must be a positive integer, got ${length}`);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.offset, this.length]);
  }

  private resolve(input: Activity[]): number {
    return this.offset < 0 ? input.length + this.offset : this.offset;
  }

  protected override checkInput(input: Activity): void {
    const expected = `a table with entries ${this.offset} to ${this.offset + this.length - 1}`;
    if (isTensor(input)) throw new ShapeError(this.path(), expected, `a tensor ${describeActivity(input)}`);
    const o = this.resolve(input);
    if (o < 0 || o + this.length > input.length) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Activity {
    const xs = input as Activity[];
    const o = this.resolve(xs);
    return xs.slice(o, o + this.length);
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    this.output = this.compute(input);
    return this.output;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    this.checkInput(input);
    const xs = input as Activity[];
    const o = this.resolve(xs);
    if (isTensor(gradOutput) || gradOutput.length !== this.length)
      throw new ModuleError(this.path(), `expected gradOutput a table of ${this.length} entries, got ${describeActivity(gradOutput)}`);
    const inside = (i: number) => i >= o && i < o + this.length;
    const g = tf.tidy(() => xs.map((x, i) => (inside(i) ? [] : zerosLikeActivity(x))) as tf.TensorContainer) as Activity[];
    for (let k = 0; k < this.length; k++) g[o + k] = gradOutput[k];
    this.freeZeros([...flattenActivity(g), ...flattenActivity(input), ...flattenActivity(gradOutput)]);
    this.gradInput = g;
    this.gradOffset = o;
    return g;
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }

  private freeZeros(keep: Tensor[] = []): void {
    if (isTensor(this.gradInput)) return;
    const o = this.gradOffset;
    disposeActivity(
      this.gradInput.filter((_, i) => i < o || i >= o + this.length),
      keep,
    );
  }

  override clearState(): this {
    this.freeZeros();
    return super.clearState();
  }
}
