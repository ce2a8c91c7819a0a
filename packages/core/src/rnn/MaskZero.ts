import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, disposeActivity, flattenActivity, mapActivity } from '../util/activity';
import { Container } from '../nn/Container';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import type { Module } from '../nn/Module';
import { AbstractRecurrent } from './AbstractRecurrent';
import { maskShape, zeroMask } from './mask';

/**
 * rnn's `nn.MaskZero(module, nInputDim = 1)`: zeroes the output rows (and
 * gradients) of `module` where the input row is all zeros, for padded
 * variable-length batches. The mask comes from the input (its first tensor if
 * a table): an input of rank `nInputDim + 1` is a batch.
 *
 * For a recurrent module, prefer `rnn.maskZero()` (e.g. `new FastLSTM(…).maskZero()`)
 * which also zeroes the state; `MaskZero(recurrent)` calls it for you.
 */
export class MaskZero extends Container {
  readonly typeName: string = 'MaskZero';
  protected override ownsBuffers = true;

  constructor(
    readonly module: Module,
    readonly nInputDim = 1,
  ) {
    super(module);
    if (module instanceof AbstractRecurrent) module.maskZero(nInputDim);
  }

  /** `args: [module, nInputDim]` (the module is an argument, not a child, as the constructor takes it first). */
  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.module.toSpec(), this.nInputDim]);
  }

  private masked(input: Activity, a: Activity): Activity {
    const m = zeroMask(input, this.nInputDim);
    return mapActivity(a, (t) => t.mul(m.reshape(maskShape(m, t))));
  }

  protected compute(input: Activity): Activity {
    return this.masked(input, this.module.apply(input));
  }

  override updateOutput(input: Activity): Activity {
    const y = this.module.updateOutput(input);
    const out = tf.tidy(() => this.masked(input, y) as tf.TensorContainer) as Activity;
    disposeActivity(this.output);
    this.output = out;
    return out;
  }

  private withMaskedGrad<T>(input: Activity, gradOutput: Activity, f: (g: Activity) => T): T {
    const g = tf.tidy(() => this.masked(input, gradOutput) as tf.TensorContainer) as Activity;
    try {
      return f(g);
    } finally {
      const keep = new Set<Tensor>(flattenActivity(this.module.gradInput));
      for (const t of flattenActivity(g)) if (!keep.has(t)) t.dispose();
    }
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const gi = this.withMaskedGrad(input, gradOutput, (g) => this.module.updateGradInput(input, g));
    this.gradInput = gi; // the module's own
    return gi;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    this.withMaskedGrad(input, gradOutput, (g) => this.module.accGradParameters(input, g, scale));
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gi = this.withMaskedGrad(input, gradOutput, (g) => this.module.backward(input, g, scale));
    this.gradInput = gi;
    return gi;
  }

  override clearState(): this {
    disposeActivity(this.output);
    this.output = [];
    this.gradInput = [];
    for (const c of this.children()) c.clearState();
    return this;
  }

  override toString(): string {
    return `nn.MaskZero @ ${this.module.toString()}`;
  }
}
