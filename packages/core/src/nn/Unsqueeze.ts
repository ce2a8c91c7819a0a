import type { Tensor } from '@tensorflow/tfjs-core';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.Unsqueeze(pos, numInputDims?)`: inserts a dimension of size 1
 * at position `pos` of the sample.
 *
 * `pos` is 0-based (Torch's `nn.Unsqueeze(1)` is `new Unsqueeze(0)`);
 * negative counts from the end, as PyTorch's `unsqueeze` (-1 appends). With
 * `numInputDims`, the dimensions before the last `numInputDims` are batch
 * dimensions and `pos` shifts past them. Deviation: Torch fixes
 * `numInputDims` to the first input's rank when it is not given; here it is
 * not remembered, so every input counts as one sample.
 * Prints Torch's text for the same model, 1-based: `nn.Unsqueeze(dim 1)` for pos 0.
 */
export class Unsqueeze extends Module {
  readonly typeName = 'Unsqueeze';

  constructor(
    readonly pos: number,
    public numInputDims?: number,
  ) {
    super();
    if (!Number.isInteger(pos)) throw new TypeError(`Unsqueeze: pos must be an integer, got ${pos}`);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.pos, this.numInputDims]);
  }

  setNumInputDims(numInputDims?: number): this {
    this.numInputDims = numInputDims;
    return this;
  }

  /** Where the new dimension goes in the input, or null when out of range. */
  private actualPos(x: Tensor): number | null {
    const nd = this.numInputDims ?? x.rank;
    const offset = x.rank - nd;
    if (offset < 0) return null;
    const p = (this.pos < 0 ? this.pos + nd + 1 : this.pos) + offset;
    return p >= 0 && p <= x.rank ? p : null;
  }

  protected override checkInput(input: Activity): void {
    const expected = `a tensor with room for a dimension at ${this.pos}${
      this.numInputDims !== undefined ? ` of ${this.numInputDims} input dims` : ''
    }`;
    if (!isTensor(input)) throw new ShapeError(this.path(), expected, `a table ${describeActivity(input)}`);
    if (this.actualPos(input) === null) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    const p = this.actualPos(x)!;
    return x.reshape([...x.shape.slice(0, p), 1, ...x.shape.slice(p)]);
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const x = input as Tensor;
    if (!isTensor(input) || !isTensor(gradOutput) || gradOutput.size !== x.size)
      throw new ModuleError(this.path(), `gradOutput ${describeActivity(gradOutput)} does not fit input ${describeActivity(input)}`);
    return this.setGradInput(gradOutput.reshape(x.shape), input, gradOutput);
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }

  override toString(): string {
    return `nn.Unsqueeze(dim ${this.pos >= 0 ? this.pos + 1 : this.pos})`;
  }
}
