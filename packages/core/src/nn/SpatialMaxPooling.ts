import type { Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type PoolAxis, SpatialPooling } from './SpatialPooling';

/** Whether tfjs's 'same' padding (⌈size/d⌉ windows, the smaller half of the padding first) gives `axis`. */
function isSame(size: number, k: number, d: number, axis: PoolAxis): boolean {
  const out = Math.ceil(size / d);
  const total = Math.max(0, (out - 1) * d + k - size);
  const before = Math.floor(total / 2);
  return out === axis.out && before === axis.before && total - before === axis.after;
}

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
    // tfjs's 'same' padding often places the windows exactly as Torch does (ceil mode,
    // 2×2 stride 2 on an odd size); then no padded copy is made, nor sliced off the gradient.
    if (isSame(x.shape[1], this.kH, this.dH, rows) && isSame(x.shape[2], this.kW, this.dW, cols))
      return tf.maxPool(x, [this.kH, this.kW], [this.dH, this.dW], 'same');
    const xp = this.padded(x, rows, cols, -Infinity);
    return tf.maxPool(xp, [this.kH, this.kW], [this.dH, this.dW], 'valid');
  }
}
