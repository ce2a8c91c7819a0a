import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { branchString } from './ConcatTable';
import { Container } from './Container';

/**
 * Torch's `nn.ParallelTable()`: child i (0-based) gets `input[i]`; the output
 * is the table of their outputs, the gradInput the table of their gradInputs.
 *
 * Shapes: input a table with at least as many entries as children (extra
 * entries are ignored, as in Torch); output a table with one entry per child.
 * The tensors are the children's; this module owns none.
 */
export class ParallelTable extends Container {
  readonly typeName: string = 'ParallelTable';

  protected override checkInput(input: Activity): void {
    if (isTensor(input) || input.length < this.modules.length)
      throw new ShapeError(
        this.path(),
        `a table of ${this.modules.length} entries`,
        isTensor(input) ? `a tensor ${describeActivity(input)}` : describeActivity(input),
      );
  }

  protected compute(input: Activity): Activity {
    const xs = input as Activity[];
    return this.modules.map((m, i) => m.apply(xs[i]));
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    const xs = input as Activity[];
    this.output = this.modules.map((m, i) => m.updateOutput(xs[i]));
    return this.output;
  }

  private gradTable(gradOutput: Activity): Activity[] {
    if (isTensor(gradOutput) || gradOutput.length < this.modules.length)
      throw new ModuleError(this.path(), `expected gradOutput a table of ${this.modules.length} entries, got ${describeActivity(gradOutput)}`);
    return gradOutput;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const xs = input as Activity[];
    const gys = this.gradTable(gradOutput);
    this.gradInput = this.modules.map((m, i) => m.updateGradInput(xs[i], gys[i]));
    return this.gradInput;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const xs = input as Activity[];
    const gys = this.gradTable(gradOutput);
    this.modules.forEach((m, i) => m.accGradParameters(xs[i], gys[i], scale));
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const xs = input as Activity[];
    const gys = this.gradTable(gradOutput);
    this.gradInput = this.modules.map((m, i) => m.backward(xs[i], gys[i], scale));
    return this.gradInput;
  }

  /** Torch7's text: every branch drawn with `` |`-> ``, the last one too. */
  override toString(): string {
    return branchString(`nn.${this.typeName}`, this.modules, false);
  }
}
