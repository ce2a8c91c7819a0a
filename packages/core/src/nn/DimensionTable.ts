import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * The base of `JoinTable` and `SplitTable`, which differ only in direction:
 * a `dimension` (0-based; negative counts from the end) and Torch's
 * `nInputDims`, with which an input of `nInputDims + 1` dimensions is a batch
 * and a non-negative `dimension` shifts by one.
 */
export abstract class DimensionTable extends Module {
  constructor(
    readonly dimension: number,
    readonly nInputDims?: number,
  ) {
    super();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.dimension, this.nInputDims]);
  }

  /** The dimension to work along, for an input (or output) of the given rank. */
  protected dim(rank: number): number {
    if (this.dimension < 0) return rank + this.dimension;
    if (this.nInputDims !== undefined && rank === this.nInputDims + 1) return this.dimension + 1;
    return this.dimension;
  }
}
