import { type Activity, disposeActivity, isTensor } from '../util/activity';
import { Container } from '../nn/Container';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import type { Module } from '../nn/Module';
import { AbstractRecurrent } from './AbstractRecurrent';
import { Recursor } from './Recursor';
import { checkRememberMode, type RememberMode, remembers } from './remember';
import { cloneActivity, StepCache, splitSteps, stackSteps } from './sequence';
import { ModuleError } from '../util/errors';

/**
 * rnn's `nn.Sequencer(module)`: applies `module` to each step of a sequence.
 * Recurrent modules (AbstractRecurrent) run the steps in order, keeping their
 * state; any other module is wrapped in a Recursor, as rnn does, and applied
 * to each step independently.
 *
 * Shapes: input a table of T steps (each [N, ...] or a table) or a [T, N, ...]
 * tensor (time-major); output of the same kind. `backward` runs BPTT over the
 * whole sequence, last step first.
 *
 * State: before each forward the module forgets its state unless told to
 * `remember` (rnn's default `'neither'`); `remember()` is `remember('both')`.
 * Outputs and gradInputs are this module's own tensors, freed at the next
 * forward / backward.
 */
export class Sequencer extends Container {
  readonly typeName: string = 'Sequencer';
  readonly module: AbstractRecurrent;
  protected override ownsBuffers = true;
  private rememberMode: RememberMode = 'neither';
  private readonly stepCache = new StepCache();

  constructor(module: Module) {
    super();
    this.module = module instanceof AbstractRecurrent ? module : Recursor.around(module);
    this.add(this.module);
  }

  /** `args: [module]` (the module given, not the Recursor made for it), and `remember: mode` unless 'neither'. */
  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [givenSpec(this.module)], {
      remember: this.rememberMode === 'neither' ? undefined : this.rememberMode,
    });
  }

  /** rnn's `remember(mode = 'both')`. */
  remember(mode: RememberMode = 'both'): this {
    this.rememberMode = checkRememberMode(mode, this.path());
    return this;
  }

  get rememberState(): RememberMode {
    return this.rememberMode;
  }

  /** Forgets the wrapped module's state and history. */
  forget(): this {
    this.module.forget();
    return this;
  }

  protected compute(input: Activity): Activity {
    const whole = isTensor(input) ? this.module.unrollTensor(input, false) : null;
    if (whole) return whole;
    const { steps } = splitSteps(input, this.path());
    const out = this.module.unroll(steps);
    return isTensor(input) ? stackSteps(out, this.path()) : out;
  }

  override updateOutput(input: Activity): Activity {
    const xs = this.stepCache.of(input, this.path());
    this.module.maxBPTTstep(Math.max(1, xs.length));
    if (!remembers(this.rememberMode, this.train)) this.module.forget();
    const outs = xs.map((x) => cloneActivity(this.module.updateOutput(x)));
    disposeActivity(this.output);
    if (isTensor(input)) {
      this.output = stackSteps(outs, this.path());
      disposeActivity(outs);
    } else this.output = outs;
    return this.output;
  }

  private backwardSteps(input: Activity, gradOutput: Activity, step: (x: Activity, gy: Activity) => Activity | void): Activity[] {
    const xs = this.stepCache.of(input, this.path());
    const { steps: gys, owned } = splitSteps(gradOutput, this.path());
    if (gys.length !== xs.length) throw new ModuleError(this.path(), `gradOutput has ${gys.length} steps, input has ${xs.length}`);
    const gis: Activity[] = [];
    for (let t = xs.length - 1; t >= 0; t--) {
      const g = step(xs[t], gys[t]);
      if (g) gis[t] = cloneActivity(g);
    }
    for (const t of owned) t.dispose();
    return gis;
  }

  private setGrad(input: Activity, gis: Activity[]): Activity {
    disposeActivity(this.gradInput);
    if (isTensor(input)) {
      this.gradInput = stackSteps(gis, this.path());
      disposeActivity(gis);
    } else this.gradInput = gis;
    return this.gradInput;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const gis = this.backwardSteps(input, gradOutput, (x, gy) => this.module.updateGradInput(x, gy));
    return this.setGrad(input, gis);
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    this.backwardSteps(input, gradOutput, (x, gy) => {
      this.module.accGradParameters(x, gy, scale);
    });
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gis = this.backwardSteps(input, gradOutput, (x, gy) => this.module.backward(x, gy, scale));
    return this.setGrad(input, gis);
  }

  override training(): this {
    if (!this.train) this.forget();
    return super.training();
  }

  override evaluate(): this {
    if (this.train) this.forget();
    return super.evaluate();
  }

  override clearState(): this {
    this.stepCache.clear();
    return super.clearState();
  }

  override toString(): string {
    return `nn.Sequencer @ ${this.module.toString()}`;
  }
}

/**
 * The spec of the module a sequencer was given: a Recursor it made around a
 * non-recurrent module is left out (the constructor makes it again) unless
 * it was changed since (`maskZero()`).
 */
export function givenSpec(module: AbstractRecurrent): ModuleSpec {
  return module instanceof Recursor && module.madeBySequencer && !module.maskzero ? module.module.toSpec() : module.toSpec();
}
