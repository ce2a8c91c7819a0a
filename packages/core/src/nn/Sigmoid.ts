import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { TransferModule } from './Transfer';

/**
 * Torch's `nn.Sigmoid()`: 1 / (1 + e^-x), elementwise.
 *
 * Shapes: any; output has the input's shape. Backward: y(1 - y)·gradOutput
 * from the saved output, as Torch.
 */
export class Sigmoid extends TransferModule {
  readonly typeName = 'Sigmoid';

  protected compute(input: Activity): Tensor {
    return tf.sigmoid(input as Tensor);
  }

  protected override closedFormGrad(_x: Tensor, y: Tensor, dy: Tensor): Tensor {
    return dy.mul(y.mul(tf.scalar(1).sub(y)));
  }
}
