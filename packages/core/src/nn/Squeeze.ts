import type { Tensor } from '@tensorflow/tfjs-core';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { ReshapingModule } from './ReshapingModule';

/**
 * Torch's `nn.Squeeze(dim?, numInputDims?)`: removes dimension `dim` if its
 * size is 1, or every dimension of size 1 when `dim` is not given.
 *
 * `dim` is 0-based; negative counts from the end. With `numInputDims`, an
 * input of `numInputDims + 1` dimensions is a batch: a non-negative `dim`
 * shifts by one, and without `dim` a batch of size 1 keeps its batch
 * dimension, as in Torch. Like Torch7 (which has no 0-d tensors), squeezing
 * never leaves fewer than one dimension: `[1, 1]` squeezes to `[1]`.
 */
export class Squeeze extends ReshapingModule {
  readonly typeName = 'Squeeze';

  constructor(
    readonly dim?: number,
    public numInputDims?: number,
  ) {
    super();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.dim, this.numInputDims]);
  }

  setNumInputDims(numInputDims?: number): this {
    this.numInputDims = numInputDims;
    return this;
  }

  /** The output shape, or null when `dim` is out of range. */
  protected outputShape(x: Tensor): number[] | null {
    const shape = x.shape;
    let d = this.dim;
    let addOne = false;
    if (d !== undefined && d < 0) d = shape.length + d;
    else if (this.numInputDims !== undefined && shape.length === this.numInputDims + 1) {
      if (d !== undefined) d += 1;
      else if (shape[0] === 1) addOne = true;
    }
    if (d !== undefined) {
      if (d < 0 || d >= shape.length) return null;
      return shape[d] === 1 && shape.length > 1 ? shape.filter((_, k) => k !== d) : [...shape];
    }
    let out = shape.filter((n) => n !== 1);
    if (out.length === 0 && shape.length > 0) out = [1];
    return addOne ? [1, ...out] : out;
  }

  protected expectedInput(): string {
    return this.dim === undefined ? 'a tensor' : `a tensor with a dimension ${this.dim}`;
  }
}
