import type { Tensor } from '@tensorflow/tfjs-core';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { Module } from './Module';

/**
 * Base of the modules whose output is their input reshaped (Reshape, View,
 * Squeeze, Unsqueeze). A subclass gives the output shape rule and what it
 * expects of the input; the input check, forward and backward are here.
 * The gradient is gradOutput reshaped back, without autodiff.
 */
export abstract class ReshapingModule extends Module {
  /** The output shape for `x`, or null when `x` does not fit. */
  protected abstract outputShape(x: Tensor): number[] | null;

  /** The expected input, as the ShapeError's text. */
  protected abstract expectedInput(): string;

  protected override checkInput(input: Activity): void {
    const expected = this.expectedInput();
    if (!isTensor(input)) throw new ShapeError(this.path(), expected, `a table ${describeActivity(input)}`);
    if (!this.outputShape(input)) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    return x.reshape(this.outputShape(x)!);
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
}
