import type { Tensor } from '@tensorflow/tfjs-core';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

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
export class Reshape extends Module {
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
  private target(x: Tensor): number[] | null {
    const nonBatch =
      this.batchMode === false || (this.batchMode === undefined && x.size === this.nelement && x.shape[0] !== 1);
    if (nonBatch) return x.size === this.nelement ? this.size : null;
    if (x.rank === 0 || x.size !== x.shape[0] * this.nelement) return null;
    return [x.shape[0], ...this.size];
  }

  protected override checkInput(input: Activity): void {
    const n = this.nelement;
    const expected =
      this.batchMode === true
        ? `[N,...] of N*${n} elements`
        : this.batchMode === false
          ? `${n} elements`
          : `${n} elements, or [N,...] of N*${n}`;
    if (!isTensor(input)) throw new ShapeError(this.path(), expected, `a table ${describeActivity(input)}`);
    if (!this.target(input)) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    return x.reshape(this.target(x)!);
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
    return `nn.Reshape(${this.size.join('x')})`;
  }
}
