import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { TransferModule } from './Transfer';

/**
 * Torch's `nn.SoftMax()`: exp(x) / Σ exp(x) over the feature dimension.
 *
 * Shapes: [C], [N,C], [H,W,C] or [N,H,W,C]; normalises over the last dimension, which is
 * Torch's feature dimension for [C], [N,C] and, with NHWC images,
 * [H,W,C] and [N,H,W,C] (Torch's [C,H,W] / [N,C,H,W]). Backward from the
 * saved output: y ⊙ (g − Σ g⊙y).
 */
export class SoftMax extends TransferModule {
  readonly typeName = 'SoftMax';

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['C'], ['N', 'C'], ['H', 'W', 'C'], ['N', 'H', 'W', 'C']]);
  }

  protected compute(input: Activity): Tensor {
    return tf.softmax(input as Tensor, -1);
  }

  protected override closedFormGrad(_x: Tensor, y: Tensor, dy: Tensor): Tensor {
    return y.mul(dy.sub(tf.sum(dy.mul(y), -1, true)));
  }
}
