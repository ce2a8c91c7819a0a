import type { Activity } from '../util/activity';
import { Module } from './Module';

/**
 * Torch's `nn.Identity()`: output = input, gradInput = gradOutput.
 *
 * Shapes: anything, tensors or tables. The tensors are passed through, not
 * copied, so this module owns (and frees) none of them.
 */
export class Identity extends Module {
  readonly typeName = 'Identity';
  protected override ownsBuffers = false;

  protected compute(input: Activity): Activity {
    return input;
  }

  override updateOutput(input: Activity): Activity {
    this.output = input;
    return input;
  }

  override updateGradInput(_input: Activity, gradOutput: Activity): Activity {
    this.gradInput = gradOutput;
    return gradOutput;
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }
}
