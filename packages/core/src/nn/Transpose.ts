import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.Transpose(...pairs)`: swaps dimensions pair by pair, in order:
 * `new Transpose([0, 3], [0, 2])` swaps dims 0 and 3, then 0 and 2.
 *
 * Dimensions are 0-based (Torch's `nn.Transpose({1,4})` is
 * `new Transpose([0, 3])`); negative counts from the end.
 */
export class Transpose extends Module {
  readonly typeName = 'Transpose';
  readonly permutations: [number, number][];

  constructor(...permutations: [number, number][]) {
    super();
    if (!permutations.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isInteger)))
      throw new TypeError('Transpose: each argument must be a pair of dimensions, e.g. [0, 1]');
    this.permutations = permutations.map(([a, b]) => [a, b]);
  }

  override toSpec(): ModuleSpec {
    return specOf(
      this.typeName,
      this.permutations.map(([a, b]) => [a, b]),
    );
  }

  /** perm[i] = the input dimension that becomes output dimension i; null if a dim is out of range. */
  private perm(rank: number): number[] | null {
    const p = Array.from({ length: rank }, (_, i) => i);
    for (const [a0, b0] of this.permutations) {
      const a = a0 < 0 ? rank + a0 : a0;
      const b = b0 < 0 ? rank + b0 : b0;
      if (a < 0 || a >= rank || b < 0 || b >= rank) return null;
      [p[a], p[b]] = [p[b], p[a]];
    }
    return p;
  }

  protected override checkInput(input: Activity): void {
    const dims = this.permutations.flat();
    const expected = `a tensor with dimensions ${dims.join(',')}`;
    if (!isTensor(input)) throw new ShapeError(this.path(), expected, `a table ${describeActivity(input)}`);
    if (!this.perm(input.rank)) throw new ShapeError(this.path(), expected, describeActivity(input));
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    return tf.transpose(x, this.perm(x.rank)!);
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    this.checkInput(input);
    const x = input as Tensor;
    const p = this.perm(x.rank)!;
    const outShape = p.map((d) => x.shape[d]);
    if (!isTensor(gradOutput) || gradOutput.shape.join(',') !== outShape.join(','))
      throw new ModuleError(this.path(), `expected gradOutput [${outShape.join(',')}], got ${describeActivity(gradOutput)}`);
    const inverse = new Array<number>(p.length);
    p.forEach((d, i) => (inverse[d] = i));
    return this.setGradInput(tf.transpose(gradOutput, inverse), input, gradOutput);
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }
}
