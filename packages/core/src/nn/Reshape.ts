import type { Tensor } from '@tensorflow/tfjs-core';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { ReshapingModule } from './ReshapingModule';

/**
 * Torch's `nn.Reshape(...sizes[, batchMode])`: views the input as `sizes`,
 * or as `[N, ...sizes]` for a batch.
 *
 * Batch inference as in Torch: with `batchMode` unset, an input with exactly
 * prod(sizes) elements whose first dimension is not 1 is reshaped to
 * `sizes`; any other input is a batch whose first dimension is kept.
 * `batchMode` true always keeps the first dimension, false never does.
 * `new Reshape([3, 4])` works too (Torch's LongStorage form).
 */
export class Reshape extends ReshapingModule {
  readonly typeName = 'Reshape';
  readonly size: number[];
  readonly batchMode?: boolean;
  readonly nelement: number;

  constructor(...args: Array<number | number[] | boolean>) {
    super();
    const a = [...args];
    if (typeof a[a.length - 1] === 'boolean') this.batchMode = a.pop() as boolean;
    const size = a.length === 1 && Array.isArray(a[0]) ? [...a[0]] : (a as number[]);
    if (size.length === 0 || !size.every((n) => typeof n === 'number' && Number.isInteger(n) && n > 0))
      throw new RangeError(`Reshape: sizes must be positive integers, got (${args.join(', ')})`);
    this.size = size;
    this.nelement = size.reduce((p, n) => p * n, 1);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [...this.size, this.batchMode]);
  }

  /** The output shape for an input, or null when it cannot be reshaped. */
  protected outputShape(x: Tensor): number[] | null {
    const nonBatch = this.batchMode === false || (this.batchMode === undefined && x.size === this.nelement && x.shape[0] !== 1);
    if (nonBatch) return x.size === this.nelement ? this.size : null;
    if (x.rank === 0 || x.size !== x.shape[0] * this.nelement) return null;
    return [x.shape[0], ...this.size];
  }

  protected expectedInput(): string {
    const n = this.nelement;
    if (this.batchMode === true) return `[N,...] of N*${n} elements`;
    if (this.batchMode === false) return `${n} elements`;
    return `${n} elements, or [N,...] of N*${n}`;
  }

  override toString(): string {
    return `nn.Reshape(${this.size.join('x')})`;
  }
}
