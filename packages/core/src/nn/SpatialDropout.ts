import type { Tensor } from '@tensorflow/tfjs-core';
import type { Activity } from '../util/activity';
import { Dropout } from './Dropout';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.SpatialDropout(p = 0.5)`: in training, zeroes whole feature
 * planes, each with probability p, drawn per sample.
 *
 * Shapes: input [N, H, W, C] or [H, W, C] (NHWC); output has the input's
 * shape; the mask is [N, 1, 1, C] (or [1, 1, C]).
 *
 * Scaling as Torch7's SpatialDropout (unlike its Dropout): the training
 * output is not rescaled, and evaluate() multiplies by (1 − p). (PyTorch's
 * Dropout2d instead scales by 1/(1 − p) in training.) Torch raises on a
 * backward in evaluate mode; here it gives the true gradient, (1 − p)·gradOutput.
 */
export class SpatialDropout extends Dropout {
  override readonly typeName: string = 'SpatialDropout';

  constructor(p = 0.5) {
    super(p, true);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.p]);
  }

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [
      ['N', 'H', 'W', 'C'],
      ['H', 'W', 'C'],
    ]);
  }

  protected override noiseShape(x: Tensor): number[] {
    const s = x.shape as number[];
    return x.rank === 4 ? [s[0], 1, 1, s[3]] : [1, 1, s[2]];
  }
}
