import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { TransferModule } from './Transfer';

/**
 * Torch's `nn.Tanh()`: tanh(x), elementwise.
 *
 * Shapes: any; output has the input's shape. Backward: (1 - y²)·gradOutput
 * from the saved output, as Torch.
 */
export class Tanh extends TransferModule {
  readonly typeName = 'Tanh';

  protected compute(input: Activity): Tensor {
    return tf.tanh(input as Tensor);
  }

  protected override closedFormGrad(_x: Tensor, y: Tensor, dy: Tensor): Tensor {
    return dy.mul(tf.scalar(1).sub(y.square()));
  }
}
