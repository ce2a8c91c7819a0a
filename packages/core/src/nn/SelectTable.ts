import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, disposeActivity, flattenActivity, isTensor } from '../util/activity';
import { ShapeError } from '../util/errors';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.SelectTable(index)`: output = input[index].
 *
 * `index` is 0-based; negative counts from the end (-1 is the last entry, as
 * in Torch). The selected entry (a tensor or a table) is passed through, not
 * copied. gradInput has the input's structure: zeros everywhere (float32, as
 * gradients are) except gradOutput at `index`, as in Torch. The zeros are
 * this module's own; the passed-through tensors are not.
 */
export class SelectTable extends Module {
  readonly typeName = 'SelectTable';
  protected override ownsBuffers = false;
  /** The resolved index of the last backward: the gradInput entry that is not ours. */
  private gradIndex = -1;

  constructor(readonly index: number) {
    super();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.index]);
  }

  private resolve(input: Activity[]): number {
    return this.index < 0 ? input.length + this.index : this.index;
  }

  protected override checkInput(input: Activity): void {
    const expected = `a table with an entry at index ${this.index}`;
    if (isTensor(input)) throw new ShapeError(this.path(), expected, `a tensor ${describeActivity(input)}`);
    const i = this.resolve(input);
    if (i < 0 || i >= input.length) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Activity {
    const xs = input as Activity[];
    return xs[this.resolve(xs)];
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    this.output = this.compute(input);
    return this.output;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    this.checkInput(input);
    const xs = input as Activity[];
    const idx = this.resolve(xs);
    const zeros = tf.tidy(() => xs.map((x, i) => (i === idx ? [] : zerosLikeActivity(x))) as tf.TensorContainer) as Activity[];
    zeros[idx] = gradOutput;
    this.freeZeros([...flattenActivity(zeros), ...flattenActivity(input), ...flattenActivity(gradOutput)]);
    this.gradInput = zeros;
    this.gradIndex = idx;
    return zeros;
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }

  /** Frees the zeros of the last gradInput. */
  private freeZeros(keep: Tensor[] = []): void {
    if (isTensor(this.gradInput)) return;
    disposeActivity(
      this.gradInput.filter((_, i) => i !== this.gradIndex),
      keep,
    );
  }

  override clearState(): this {
    this.freeZeros();
    return super.clearState();
  }

  /** Torch's text for the same model: `nn.SelectTable(1)` for index 0 (Torch is 1-based). */
  override toString(): string {
    return `nn.SelectTable(${this.index >= 0 ? this.index + 1 : this.index})`;
  }
}

/** Float zeros shaped like an activity. */
export function zerosLikeActivity(a: Activity): Activity {
  return isTensor(a) ? tf.zeros(a.shape) : a.map(zerosLikeActivity);
}
