import type { Tensor } from '@tensorflow/tfjs-core';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { ReshapingModule } from './ReshapingModule';

/**
 * Torch's `nn.View(...sizes)`: views the input as `sizes`, one of which may
 * be -1 (inferred). `setNumInputDims(n)` says how many trailing dimensions
 * make one sample; the dimensions before them are a batch, kept as one
 * leading dimension `[N, ...sizes]`, as in Torch. Without it, an input with
 * more elements than prod(sizes) (and no -1) is a batch of their ratio.
 * `new View([2, -1])` works too (Torch's LongStorage form).
 */
export class View extends ReshapingModule {
  readonly typeName = 'View';
  readonly size: number[];
  /** prod of the sizes other than -1. */
  readonly numElements: number;
  numInputDims?: number;

  constructor(...args: Array<number | number[]>) {
    super();
    const size = args.length === 1 && Array.isArray(args[0]) ? [...args[0]] : (args as number[]);
    if (size.length === 0 || !size.every((n) => Number.isInteger(n) && (n >= 0 || n === -1)))
      throw new RangeError(`View: sizes must be non-negative integers or -1, got (${args.join(', ')})`);
    if (size.filter((n) => n === -1).length > 1) throw new RangeError('View: only one dimension can be -1');
    this.size = size;
    this.numElements = size.filter((n) => n !== -1).reduce((p, n) => p * n, 1);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, this.size, { numInputDims: this.numInputDims });
  }

  setNumInputDims(numInputDims?: number): this {
    this.numInputDims = numInputDims;
    return this;
  }

  /** Torch's batch size rule: a number, undefined for no batch, or null when the input cannot fit. */
  private batchSize(x: Tensor): number | undefined | null {
    const ind = x.rank;
    const maxdim = this.numInputDims ?? ind;
    if (maxdim > ind) return null;
    let ine = 1;
    for (let i = ind - maxdim; i < ind; i++) ine *= x.shape[i];
    if (this.numElements === 0 ? ine !== 0 : ine % this.numElements !== 0) return null;
    let bsz = this.numElements === 0 ? 1 : ine / this.numElements;
    if (this.size.includes(-1)) bsz = 1;
    for (let i = 0; i < ind - maxdim; i++) bsz *= x.shape[i];
    if (bsz === 1 && (this.numInputDims === undefined || ind <= this.numInputDims)) return undefined;
    return bsz;
  }

  /** The output shape, or null when the input cannot be viewed so. */
  protected outputShape(x: Tensor): number[] | null {
    const bsz = this.batchSize(x);
    if (bsz === null) return null;
    const shape = bsz === undefined ? [...this.size] : [bsz, ...this.size];
    const known = shape.filter((n) => n !== -1).reduce((p, n) => p * n, 1);
    const m = shape.indexOf(-1);
    if (m < 0) return known === x.size ? shape : null;
    if (known === 0 || x.size % known !== 0) return null;
    shape[m] = x.size / known;
    return shape;
  }

  protected expectedInput(): string {
    return `a tensor that views as (${this.size.join(', ')})${this.numInputDims !== undefined ? ` with ${this.numInputDims} input dims` : ''}`;
  }

  override toString(): string {
    return `nn.View(${this.size.join(', ')})`;
  }
}
