import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { TransferModule } from './Transfer';

/**
 * Torch's `nn.LogSoftMax()`: x − log Σ exp(x) over the feature dimension.
 *
 * Shapes: [C], [N,C], [H,W,C] or [N,H,W,C]; normalises over the last dimension (Torch's feature
 * dimension; NHWC for images). Backward from the saved output:
 * g − exp(y)·Σ g.
 */
export class LogSoftMax extends TransferModule {
  readonly typeName = 'LogSoftMax';

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['C'], ['N', 'C'], ['H', 'W', 'C'], ['N', 'H', 'W', 'C']]);
  }

  protected compute(input: Activity): Tensor {
    return tf.logSoftmax(input as Tensor, -1);
  }

  protected override closedFormGrad(_x: Tensor, y: Tensor, dy: Tensor): Tensor {
    return dy.sub(tf.exp(y).mul(tf.sum(dy, -1, true)));
  }
}
