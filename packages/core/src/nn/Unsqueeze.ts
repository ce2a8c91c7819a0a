import type { Tensor } from '@tensorflow/tfjs-core';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { ReshapingModule } from './ReshapingModule';

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
export class Unsqueeze extends ReshapingModule {
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

  protected outputShape(x: Tensor): number[] | null {
    const p = this.actualPos(x);
    return p === null ? null : [...x.shape.slice(0, p), 1, ...x.shape.slice(p)];
  }

  protected expectedInput(): string {
    return `a tensor with room for a dimension at ${this.pos}${this.numInputDims !== undefined ? ` of ${this.numInputDims} input dims` : ''}`;
  }

  override toString(): string {
    return `nn.Unsqueeze(dim ${this.pos >= 0 ? this.pos + 1 : this.pos})`;
  }
}
