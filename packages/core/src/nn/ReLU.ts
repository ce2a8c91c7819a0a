import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { TransferModule } from './Transfer';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.ReLU(inplace = false)`: max(0, x), elementwise.
 *
 * Shapes: any tensor; output has the input's shape. `inplace` is accepted
 * for Torch compatibility; tfjs tensors are immutable, so the input is never
 * overwritten and the flag only changes `toSpec` (it is saved with the
 * architecture). Printing is `nn.ReLU` either way, as Torch.
 */
export class ReLU extends TransferModule {
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
