import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, disposeActivity, flattenActivity, isTensor } from '../util/activity';
import { branchString, sumActivities } from './ConcatTable';
import { Container } from './Container';
import type { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { ModuleError } from '../util/errors';

/**
 * The gradOutput slices each Concat handed its children in its last backward
 * (a child may pass one through as its gradInput, so they live until the
 * next backward). Kept outside the instance so that `clone()` never copies them.
 */
const gradSlices = new WeakMap<Concat, Tensor[]>();

/**
 * Torch's `nn.Concat(dimension)`: gives the same input to every child and
 * concatenates their outputs along `dimension`.
 *
 * `dimension` is 0-based and counts the batch dimension (Torch's
 * `nn.Concat(2)` on `[N, C]` outputs is `new Concat(1)` here); negative
 * counts from the end. Children may be passed after it:
 * `new Concat(1, a, b)` is `nn.Concat(2):add(a):add(b)`.
 *
 * Shapes: the children's outputs must agree except along `dimension`.
 * gradInput is the sum of the children's gradInputs, owned by this module.
 */
export class Concat extends Container {
  readonly typeName: string = 'Concat';

  constructor(
    readonly dimension: number,
    ...modules: Module[]
  ) {
    super(...modules);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.dimension], { children: this.modules.map((m) => m.toSpec()) });
  }

  protected compute(input: Activity): Activity {
    return this.join(this.modules.map((m) => m.apply(input)));
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    const outs = this.modules.map((m) => m.updateOutput(input));
    const out = tf.tidy(() => this.join(outs));
    disposeActivity(this.output, [out, ...flattenActivity(input)]);
    this.output = out;
    return out;
  }

  /** The resolved (non-negative) dimension for outputs of the given rank. */
  private dim(rank: number): number {
    const d = this.dimension < 0 ? rank + this.dimension : this.dimension;
    if (d < 0 || d >= rank) throw new ModuleError(this.path(), `dimension ${this.dimension} is out of range for outputs of rank ${rank}`);
    return d;
  }

  private join(outs: Activity[]): Tensor {
    if (outs.length === 0) throw new ModuleError(this.path(), 'no modules to concatenate');
    const ts = outs.map((o, i) => {
      if (!isTensor(o)) throw new ModuleError(this.path(), `module ${i + 1} returned a table; Concat needs tensors`);
      return o;
    });
    const d = this.dim(ts[0].rank);
    const s0 = ts[0].shape;
    for (const t of ts) {
      const fits = t.rank === s0.length && t.shape.every((n, k) => k === d || n === s0[k]);
      if (!fits) throw new ModuleError(this.path(), `cannot concatenate outputs [${s0.join(',')}] and [${t.shape.join(',')}] along dimension ${d}`);
    }
    return tf.concat(ts, d);
  }

  /** gradOutput cut into the children's parts, by the sizes of their last outputs. */
  private slices(gradOutput: Activity): Tensor[] {
    if (!isTensor(gradOutput)) throw new ModuleError(this.path(), 'expected gradOutput a tensor, got a table');
    const sizes = this.modules.map((m) => {
      const o = m.output;
      if (!isTensor(o)) throw new ModuleError(this.path(), 'call forward before backward');
      return o.shape[this.dim(o.rank)];
    });
    const d = this.dim(gradOutput.rank);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (gradOutput.shape[d] !== total)
      throw new ModuleError(
        this.path(),
        `gradOutput [${gradOutput.shape.join(',')}] has ${gradOutput.shape[d]} entries along dimension ${d}, expected ${total}`,
      );
    return tf.tidy(() => tf.split(gradOutput, sizes, d));
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const gys = this.slices(gradOutput);
    const gis = this.modules.map((m, i) => m.updateGradInput(input, gys[i]));
    return this.setOwn(gis, gys, input, gradOutput);
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const gys = this.slices(gradOutput);
    try {
      this.modules.forEach((m, i) => m.accGradParameters(input, gys[i], scale));
    } finally {
      for (const g of gys) g.dispose();
    }
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gys = this.slices(gradOutput);
    const gis = this.modules.map((m, i) => m.backward(input, gys[i], scale));
    return this.setOwn(gis, gys, input, gradOutput);
  }

  /**
   * Sums the children's gradInputs into this module's own gradInput and
   * keeps the slices alive (a child may pass one through as its gradInput)
   * until the next backward.
   */
  private setOwn(gis: Activity[], gys: Tensor[], input: Activity, gradOutput: Activity): Activity {
    let gradInput: Activity;
    try {
      gradInput = sumActivities(gis);
    } catch (e) {
      throw this.wrapError(e);
    }
    const keep = [...flattenActivity(gradInput), ...flattenActivity(input), ...flattenActivity(gradOutput), ...gys];
    disposeActivity(this.gradInput, keep);
    disposeActivity(gradSlices.get(this), keep);
    this.gradInput = gradInput;
    gradSlices.set(this, gys);
    return gradInput;
  }

  override clearState(): this {
    disposeActivity(this.output);
    disposeActivity(this.gradInput);
    disposeActivity(gradSlices.get(this));
    gradSlices.delete(this);
    this.output = [];
    this.gradInput = [];
    return super.clearState();
  }

  override toString(): string {
    return branchString(`nn.${this.typeName}`, this.modules, true);
  }
}
