import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { TransferModule } from './Transfer';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.ELU(alpha = 1, inplace = false)`: x for x > 0, else
 * alpha·(eˣ - 1), elementwise.
 *
 * Shapes: any; output has the input's shape. Backward as Torch's THNN
 * kernel, from the saved output: gradOutput where y > 0, else
 * gradOutput·(y + alpha) (so the slope at 0 is alpha). `inplace` is
 * accepted for compatibility; tfjs tensors are immutable.
 */
export class ELU extends TransferModule {
  readonly typeName = 'ELU';

  constructor(
    readonly alpha = 1,
    readonly inplace = false,
  ) {
    super();
    if (typeof alpha !== 'number') throw new TypeError('nn.ELU: alpha must be a number');
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.alpha, this.inplace]);
  }

  protected compute(input: Activity): Tensor {
    // step(x)·x + (1 − step(x))·alpha·expm1(min(x, 0)): exact on both sides,
    // differentiable by tfjs (no boolean mask on the tape), slope alpha at 0.
    const x = input as Tensor;
    const pos = tf.step(x, 0);
    const neg = tf.scalar(1).sub(pos);
    return pos.mul(x).add(neg.mul(tf.expm1(tf.minimum(x, 0)).mul(this.alpha)));
  }

  protected override closedFormGrad(_x: Tensor, y: Tensor, dy: Tensor): Tensor {
    return tf.where(tf.greater(y, 0), dy, dy.mul(y.add(this.alpha)));
  }

  /** Torch: `string.format('%s (alpha:%f)', torch.type(self), self.alpha)`. */
  override toString(): string {
    return `nn.ELU (alpha:${this.alpha.toFixed(6)})`;
  }
}
