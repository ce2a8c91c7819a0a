import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, disposeActivity, flattenActivity, unflattenActivity } from '../util/activity';
import { Container } from '../nn/Container';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import type { Module } from '../nn/Module';
import { AbstractRecurrent } from './AbstractRecurrent';
import { Recursor } from './Recursor';
import { checkRememberMode, type RememberMode, remembers } from './remember';
import { givenSpec } from './Sequencer';
import { cloneActivity } from './sequence';
import { ModuleError } from '../util/errors';

/**
 * rnn's `nn.Repeater(module, nStep)`: feeds the same input to a recurrent
 * module `nStep` times; output is the table of the `nStep` outputs, and
 * gradInput the sum of the steps' gradInputs. Non-recurrent modules are
 * wrapped in a Recursor. State: forgets before each forward unless `remember`.
 */
export class Repeater extends Container {
  readonly typeName: string = 'Repeater';
  readonly module: AbstractRecurrent;
  protected override ownsBuffers = true;
  private rememberMode: RememberMode = 'neither';

  constructor(
    module: Module,
    readonly nStep: number,
  ) {
    super();
    this.module = module instanceof AbstractRecurrent ? module : Recursor.around(module);
    this.add(this.module);
  }

  /** `args: [module, nStep]` (the module given, not the Recursor made for it), and `remember: mode` unless 'neither'. */
  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [givenSpec(this.module), this.nStep], {
      remember: this.rememberMode === 'neither' ? undefined : this.rememberMode,
    });
  }

  remember(mode: RememberMode = 'both'): this {
    this.rememberMode = checkRememberMode(mode, this.path());
    return this;
  }

  forget(): this {
    this.module.forget();
    return this;
  }

  protected compute(input: Activity): Activity {
    return this.module.unroll(new Array(this.nStep).fill(input));
  }

  override updateOutput(input: Activity): Activity {
    this.module.maxBPTTstep(this.nStep);
    if (!remembers(this.rememberMode, this.train)) this.module.forget();
    const outs: Activity[] = [];
    for (let t = 0; t < this.nStep; t++) outs.push(cloneActivity(this.module.updateOutput(input)));
    disposeActivity(this.output);
    this.output = outs;
    return outs;
  }

  private run(input: Activity, gradOutput: Activity, f: (gy: Activity) => Activity | void): Activity | null {
    const gys = gradOutput as Activity[];
    if (!Array.isArray(gys) || gys.length !== this.nStep) throw new ModuleError(this.path(), `expected a table of ${this.nStep} gradOutputs`);
    let sum: Tensor[] | null = null;
    for (let t = this.nStep - 1; t >= 0; t--) {
      const g = f(gys[t]);
      if (!g) continue;
      const flat = flattenActivity(g);
      const prev: Tensor[] | null = sum;
      sum = prev ? tf.tidy(() => flat.map((x, i) => x.add(prev[i]))) : flat.map((x) => x.clone());
      if (prev) for (const x of prev) x.dispose();
    }
    return sum ? unflattenActivity(input, sum) : null;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const gi = this.run(input, gradOutput, (gy) => this.module.updateGradInput(input, gy))!;
    disposeActivity(this.gradInput);
    this.gradInput = gi;
    return gi;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    this.run(input, gradOutput, (gy) => {
      this.module.accGradParameters(input, gy, scale);
    });
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gi = this.run(input, gradOutput, (gy) => this.module.backward(input, gy, scale))!;
    disposeActivity(this.gradInput);
    this.gradInput = gi;
    return gi;
  }

  override toString(): string {
    return `nn.Repeater @ ${this.module.toString()}`;
  }
}
