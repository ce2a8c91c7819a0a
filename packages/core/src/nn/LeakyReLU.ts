import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { TransferModule } from './Transfer';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.LeakyReLU(negval = 1/100, ip = false)`: x for x > 0, else
 * negval·x, elementwise.
 *
 * Shapes: any; output has the input's shape. The slope at exactly 0 is
 * `negval`, as in Torch's THNN kernel (input > 0 ? 1 : negval). `ip`
 * (in-place) is accepted for compatibility; tfjs tensors are immutable, so
 * it changes nothing.
 */
export class LeakyReLU extends TransferModule {
  readonly typeName = 'LeakyReLU';

  constructor(
    readonly negval = 1 / 100,
    readonly inplace = false,
  ) {
    super();
    if (typeof negval !== 'number') throw new TypeError('nn.LeakyReLU(value)');
    if (typeof inplace !== 'boolean') throw new TypeError('in-place flag must be boolean');
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.negval, this.inplace]);
  }

  protected compute(input: Activity): Tensor {
    // tfjs's leakyRelu: its gradient is negval at 0, as Torch's.
    return tf.leakyRelu(input as Tensor, this.negval);
  }

  protected override closedFormGrad(x: Tensor, _y: Tensor, dy: Tensor): Tensor {
    return tf.where(tf.greater(x, 0), dy, dy.mul(this.negval));
  }
}
