import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, disposeActivity, isTensor } from '../util/activity';
import { ModuleError, ShapeError } from '../util/errors';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/** Checks that a module's input is a non-empty table of tensors of one shape. */
export function expectSameShapeTable(module: Module, input: Activity): Tensor[] {
  const expected = 'a table of tensors of one shape';
  if (isTensor(input)) throw new ShapeError(module.path(), expected, `a tensor ${describeActivity(input)}`);
  if (input.length === 0 || !input.every(isTensor)) throw new ShapeError(module.path(), expected, describeActivity(input));
  const s0 = input[0].shape.join(',');
  if (!input.every((t) => t.shape.join(',') === s0)) throw new ShapeError(module.path(), expected, describeActivity(input));
  return input;
}

/**
 * Torch's `nn.CAddTable(inplace = false)`: the elementwise sum of a table of
 * tensors.
 *
 * Shapes: input a table of tensors of one shape; output that shape.
 * gradInput is gradOutput for every entry, passed through rather than copied
 * (tfjs tensors are immutable, so this is what Torch's `inplace` mode does;
 * `inplace` changes nothing else, and Torch does not print it).
 */
export class CAddTable extends Module {
  readonly typeName = 'CAddTable';

  constructor(readonly inplace = false) {
    super();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.inplace]);
  }

  protected override checkInput(input: Activity): void {
    expectSameShapeTable(this, input);
  }

  protected compute(input: Activity): Tensor {
    const xs = input as Tensor[];
    return xs.length === 1 ? xs[0].clone() : tf.addN(xs);
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const xs = expectSameShapeTable(this, input);
    if (!isTensor(gradOutput) || gradOutput.shape.join(',') !== xs[0].shape.join(','))
      throw new ModuleError(this.path(), `expected gradOutput [${xs[0].shape.join(',')}], got ${describeActivity(gradOutput)}`);
    this.gradInput = xs.map(() => gradOutput);
    return this.gradInput;
  }

  override backward(input: Activity, gradOutput: Activity): Activity {
    return this.updateGradInput(input, gradOutput);
  }

  /** Frees the output (ours); gradInput is gradOutput passed through. */
  override clearState(): this {
    disposeActivity(this.output);
    this.output = [];
    this.gradInput = [];
    return super.clearState();
  }
}
