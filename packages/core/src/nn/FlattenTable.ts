import type { Tensor } from '@tensorflow/tfjs-core';
import { type Activity, describeActivity, flattenActivity, isTensor, unflattenActivity } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { Module } from './Module';

/**
 * Torch's `nn.FlattenTable()`: a nested table becomes a flat table of its
 * tensors, in depth-first order; gradInput is gradOutput rebuilt in the
 * input's nesting.
 *
 * The tensors are passed through, not copied; this module owns none.
 */
export class FlattenTable extends Module {
  readonly typeName = 'FlattenTable';
  protected override ownsBuffers = false;

  protected override checkInput(input: Activity): void {
    if (isTensor(input)) throw new ShapeError(this.path(), 'a table', `a tensor ${describeActivity(input)}`);
  }

  protected compute(input: Activity): Activity {
    return flattenActivity(input);
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    this.output = this.compute(input);
    return this.output;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    this.checkInput(input);
    const n = flattenActivity(input).length;
    if (isTensor(gradOutput) || gradOutput.length !== n || !gradOutput.every(isTensor))
      throw new ModuleError(this.path(), `expected gradOutput a flat table of ${n} tensors, got ${describeActivity(gradOutput)}`);
    this.gradInput = unflattenActivity(input, gradOutput as Tensor[]);
    return this.gradInput;
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }
}
