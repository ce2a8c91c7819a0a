import type { Activity } from '../util/activity';
import { Container } from './Container';

/**
 * Torch's `nn.Sequential`: feeds each module's output to the next.
 *
 * Shapes: input and output are whatever the first and last modules take and give.
 */
export class Sequential extends Container {
  readonly typeName = 'Sequential';

  protected compute(input: Activity): Activity {
    return this.modules.reduce<Activity>((x, m) => m.apply(x), input);
  }

  override updateOutput(input: Activity): Activity {
    let x = input;
    for (const m of this.modules) x = m.updateOutput(x);
    this.output = x;
    return x;
  }

  /** The input each child saw in the last forward. */
  private inputOf(i: number, input: Activity): Activity {
    return i === 0 ? input : this.modules[i - 1].output;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    let g = gradOutput;
    for (let i = this.modules.length - 1; i >= 0; i--) g = this.modules[i].updateGradInput(this.inputOf(i, input), g);
    this.gradInput = g;
    return g;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    let g = gradOutput;
    for (let i = this.modules.length - 1; i >= 0; i--) {
      this.modules[i].accGradParameters(this.inputOf(i, input), g, scale);
      g = this.modules[i].gradInput;
    }
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    let g = gradOutput;
    for (let i = this.modules.length - 1; i >= 0; i--) g = this.modules[i].backward(this.inputOf(i, input), g, scale);
    this.gradInput = g;
    return g;
  }

  override toString(): string {
    const steps = this.modules.map((_, i) => ` -> (${i + 1})`).join('');
    const lines = this.modules.map((m, i) => `\n  (${i + 1}): ${m.toString().replace(/\n/g, '\n  ')}`);
    return `nn.Sequential {\n  [input${steps} -> output]${lines.join('')}\n}`;
  }
}
