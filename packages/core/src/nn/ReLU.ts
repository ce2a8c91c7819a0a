import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.ReLU(inplace = false)`: max(0, x), elementwise.
 *
 * Shapes: any; output has the input's shape. `inplace` is accepted for
 * Torch compatibility; tfjs tensors are immutable, so it only changes printing.
 */
export class ReLU extends Module {
  readonly typeName = 'ReLU';

  constructor(readonly inplace = false) {
    super();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.inplace]);
  }

  protected compute(input: Activity): Tensor {
    return tf.relu(input as Tensor);
  }
}
