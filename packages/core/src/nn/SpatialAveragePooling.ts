import type { Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type PoolAxis, SpatialPooling } from './SpatialPooling';
import { type ModuleSpec } from '../util/moduleSpec';

/**
 * Torch's `nn.SpatialAveragePooling(kW, kH, dW = 1, dH = 1, padW = 0, padH = 0)`:
 * the mean over each kW×kH window, moved by dW, dH. `ceil()`/`floor()` pick
 * the output-size rounding; `setCountIncludePad()` (the default) divides by
 * the window's size clipped to the padded input, `setCountExcludePad()` by
 * the number of input pixels it covers, the same numbers as PyTorch's
 * `AvgPool2d(ceil_mode, count_include_pad)`.
 *
 * Shapes: input [N, H, W, C] or [H, W, C] (NHWC); output [N, oH, oW, C] with
 * oH = ⌊(H + 2·padH − kH) / dH⌋ + 1 (⌈…⌉ in ceil mode) and oW likewise.
 */
export class SpatialAveragePooling extends SpatialPooling {
  readonly typeName = 'SpatialAveragePooling';
  /** Torch's `count_include_pad`. */
  countIncludePad = true;

  constructor(kW: number, kH: number, dW = 1, dH = 1, padW = 0, padH = 0) {
    super(kW, kH, dW, dH, padW, padH);
  }

  override toSpec(): ModuleSpec {
    return { ...super.toSpec(), ...(this.countIncludePad ? {} : { countIncludePad: false }) };
  }

  /** Torch's `setCountIncludePad()`: zero padding counts in the divisor. */
  setCountIncludePad(): this {
    this.countIncludePad = true;
    return this;
  }

  /** Torch's `setCountExcludePad()`: only input pixels count in the divisor. */
  setCountExcludePad(): this {
    this.countIncludePad = false;
    return this;
  }

  /** Per-window divisors along one axis of `size` (Torch's THNN rule). */
  private divisors(a: PoolAxis, size: number, k: number, d: number): number[] {
    return Array.from({ length: a.out }, (_, i) => {
      const start = i * d - a.before;
      const end = Math.min(start + k, size + a.before);
      return this.countIncludePad ? end - start : Math.min(end, size) - Math.max(start, 0);
    });
  }

  protected pool(x: Tensor4D, rows: PoolAxis, cols: PoolAxis): Tensor4D {
    const [, h, w] = x.shape;
    const xp = this.padded(x, rows, cols, 0);
    // Window sums: tfjs's mean over each full window of the zero-padded input, times its size.
    const mean = tf.avgPool(xp, [this.kH, this.kW], [this.dH, this.dW], 'valid');
    const dr = this.divisors(rows, h, this.kH, this.dH);
    const dc = this.divisors(cols, w, this.kW, this.dW);
    const full = this.kH * this.kW;
    if (dr.every((v) => v === this.kH) && dc.every((v) => v === this.kW)) return mean;
    const scale = tf.tensor(
      dr.flatMap((r) => dc.map((c) => full / (r * c))),
      [1, rows.out, cols.out, 1],
    );
    return mean.mul(scale);
  }
}
