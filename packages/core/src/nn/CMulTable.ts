import type { Tensor } from '@tensorflow/tfjs-core';
import type { Activity } from '../util/activity';
import { expectSameShapeTable } from './CAddTable';
import { Module } from './Module';

/**
 * Torch's `nn.CMulTable()`: the elementwise product of a table of tensors.
 *
 * Shapes: input a table of tensors of one shape; output that shape.
 * gradInput[i] = gradOutput * (product of the other entries), as Torch's
 * `updateGradInput` (not the division shortcut, so zeros are handled).
 */
export class CMulTable extends Module {
  readonly typeName = 'CMulTable';

  protected override checkInput(input: Activity): void {
    expectSameShapeTable(this, input);
  }

  protected compute(input: Activity): Tensor {
    const xs = input as Tensor[];
    return xs.slice(1).reduce((acc, x) => acc.mul(x), xs[0].clone());
  }
}
