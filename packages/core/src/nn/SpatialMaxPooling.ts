import type { Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type PoolAxis, SpatialPooling } from './SpatialPooling';

/**
 * Torch's `nn.SpatialMaxPooling(kW, kH, dW = kW, dH = kH, padW = 0, padH = 0)`:
 * the maximum over each kW×kH window, moved by dW, dH. `ceil()` rounds the
 * output size up (`floor()`, the default, down).
 *
 * Shapes: input [N, H, W, C] or [H, W, C] (NHWC); output [N, oH, oW, C] with
 * oH = ⌊(H + 2·padH − kH) / dH⌋ + 1 (⌈…⌉ in ceil mode) and oW likewise.
 * Padding counts as −∞, so it is never the maximum. The gradient goes to the
 * maximum of each window (tfjs picks the first of equal maxima, as Torch).
 */
export class SpatialMaxPooling extends SpatialPooling {
  readonly typeName = 'SpatialMaxPooling';

  constructor(kW: number, kH: number, dW = kW, dH = kH, padW = 0, padH = 0) {
    super(kW, kH, dW, dH, padW, padH);
  }

  protected pool(x: Tensor4D, rows: PoolAxis, cols: PoolAxis): Tensor4D {
    const xp = this.padded(x, rows, cols, -Infinity);
    return tf.maxPool(xp, [this.kH, this.kW], [this.dH, this.dW], 'valid');
  }
}
