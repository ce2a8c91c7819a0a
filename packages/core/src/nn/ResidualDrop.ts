import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, disposeActivity, flattenActivity, isTensor } from '../util/activity';
import { ModuleError } from '../util/errors';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { random } from '../util/random';
import { branchString } from './ConcatTable';
import { Container } from './Container';
import { Identity } from './Identity';
import type { Module } from './Module';

/**
 * A residual unit with stochastic depth, as `nn.ResidualDrop` in Huang et
 * al.'s Torch7 code for "Deep Networks with Stochastic Depth" (2016):
 * `shortcut(x) + branch(x)`, where in training the branch is dropped for the
 * whole mini-batch with probability `deathRate`.
 *
 * Args:
 * - `deathRate`: the probability of dropping the branch, 0 <= p < 1;
 * - `branch`: the residual branch (conv-BN-ReLU-conv-BN);
 * - `shortcut`: Identity by default, or a projection where the shape changes.
 *
 * Shapes: input whatever both children take; output their common shape.
 *
 * Training: a gate is drawn at each forward from the library's seeded stream
 * (`manualSeed`). Open: `shortcut(x) + branch(x)`. Closed: `shortcut(x)`,
 * and the branch is not run, so its parameters get no gradient and its
 * batch-norm statistics do not move. This saves the branch's compute, which
 * is the method's speed-up. Evaluation: `shortcut(x) + (1 − deathRate) ·
 * branch(x)`, the branch's expected contribution, as Huang et al. scale it
 * (torchvision's `StochasticDepth` instead scales by 1/(1 − p) in training;
 * the two differ by that constant). Torch's ReLU after the sum is a separate
 * module, as in the plain residual unit.
 *
 * The gate is kept for the backward (`gate`), and a re-run under autodiff
 * uses it rather than drawing again, as Dropout keeps its mask.
 */
export class ResidualDrop extends Container {
  readonly typeName: string = 'ResidualDrop';
  /** Whether the branch ran in the last training forward (Huang et al.'s `gate`). */
  gate = true;
  /** The branch's gradOutput scaled in evaluation, kept until the next backward (a child may pass it through). */
  private scaledGrad: Tensor | null = null;
  /** The gradOutput `scaledGrad` was made from. */
  private scaledFrom: Activity | null = null;

  constructor(
    public deathRate: number,
    branch: Module,
    shortcut: Module = new Identity(),
  ) {
    super(branch, shortcut);
    ResidualDrop.checkRate(deathRate);
  }

  private static checkRate(p: number): void {
    if (!(p >= 0 && p < 1)) throw new RangeError(`<ResidualDrop> the death rate must be 0 <= p < 1, got ${p}`);
  }

  get branch(): Module {
    return this.modules[0];
  }

  get shortcut(): Module {
    return this.modules[1];
  }

  override add(module: Module): this {
    if (this.modules.length === 2) throw new RangeError('<ResidualDrop> holds exactly a branch and a shortcut');
    return super.add(module);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.deathRate], { children: this.modules.map((m) => m.toSpec()) });
  }

  /** Draws the gate for a training forward: open with probability 1 − deathRate. */
  private drawGate(): void {
    this.gate = this.deathRate === 0 || random() >= this.deathRate;
  }

  /** Whether this forward runs the branch unscaled (open gate in training). */
  private get survives(): boolean {
    return this.train ? this.gate : true;
  }

  protected compute(input: Activity): Activity {
    if (this.train && !this.recomputing) this.drawGate();
    const s = this.shortcut.apply(input);
    if (!this.survives) return s;
    return this.sum(s, this.branch.apply(input));
  }

  /** shortcut + branch, the branch scaled by 1 − deathRate in evaluation. */
  private sum(s: Activity, b: Activity): Tensor {
    if (!isTensor(s) || !isTensor(b))
      throw new ModuleError(this.path(), `the branch and shortcut must give tensors, got ${describeActivity(b)} and ${describeActivity(s)}`);
    if (s.shape.join(',') !== b.shape.join(','))
      throw new ModuleError(this.path(), `the branch gives [${b.shape.join(',')}] but the shortcut [${s.shape.join(',')}]`);
    return tf.tidy(() => (this.train ? s.add(b) : s.add(b.mul(1 - this.deathRate))));
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    if (this.train) this.drawGate();
    const s = this.shortcut.updateOutput(input);
    // Always a tensor of our own (a clone shares storage), so the next forward can free it.
    const out = this.survives ? this.sum(s, this.branch.updateOutput(input)) : (s as Tensor).clone();
    disposeActivity(this.output, [out, ...flattenActivity(input)]);
    this.output = out;
    return out;
  }

  /** The branch's gradOutput: gradOutput itself in training, scaled in evaluation. */
  private branchGrad(gradOutput: Activity): Activity {
    if (this.train) return gradOutput;
    // Torch's split calls (updateGradInput, then accGradParameters) pass the same gradOutput: scale it once.
    if (this.scaledGrad && this.scaledFrom === gradOutput) return this.scaledGrad;
    this.scaledGrad?.dispose();
    this.scaledGrad = tf.tidy(() => (gradOutput as Tensor).mul(1 - this.deathRate));
    this.scaledFrom = gradOutput;
    return this.scaledGrad;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const gs = this.shortcut.updateGradInput(input, gradOutput);
    const gb = this.survives ? this.branch.updateGradInput(input, this.branchGrad(gradOutput)) : null;
    return this.setOwnGradInput(gs, gb, input, gradOutput);
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    this.shortcut.accGradParameters(input, gradOutput, scale);
    if (this.survives) this.branch.accGradParameters(input, this.branchGrad(gradOutput), scale);
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gs = this.shortcut.backward(input, gradOutput, scale);
    const gb = this.survives ? this.branch.backward(input, this.branchGrad(gradOutput), scale) : null;
    return this.setOwnGradInput(gs, gb, input, gradOutput);
  }

  /** gradInput = the shortcut's (+ the branch's), a tensor of our own. */
  private setOwnGradInput(gs: Activity, gb: Activity | null, input: Activity, gradOutput: Activity): Activity {
    const g = tf.tidy(() => (gb ? tf.add(gs as Tensor, gb as Tensor) : (gs as Tensor).clone()));
    const keep = [g, ...flattenActivity(input), ...flattenActivity(gradOutput)];
    if (this.scaledGrad) keep.push(this.scaledGrad);
    disposeActivity(this.gradInput, keep);
    this.gradInput = g;
    return g;
  }

  override clearState(): this {
    disposeActivity(this.output);
    disposeActivity(this.gradInput);
    this.scaledGrad?.dispose();
    this.scaledGrad = null;
    this.scaledFrom = null;
    this.output = [];
    this.gradInput = [];
    return super.clearState();
  }

  /** Drawn as Torch7 draws ConcatTable, the branch first. */
  override toString(): string {
    return branchString(`nn.${this.typeName}(${this.deathRate})`, this.modules, true);
  }
}
