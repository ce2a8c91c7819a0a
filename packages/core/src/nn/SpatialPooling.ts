import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { ShapeError } from '../util/errors';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/** Where the pooling windows fall along one spatial axis. */
export interface PoolAxis {
  /** Number of windows (output size). */
  out: number;
  /** Padding before the input (Torch's pad). */
  before: number;
  /** Padding after the input so that the last window fits (ceil mode, pad). */
  after: number;
}

/**
 * What Torch's SpatialMaxPooling and SpatialAveragePooling share: kernel,
 * stride and padding, `ceil()`/`floor()`, the output-size rule, printing.
 *
 * Output size per axis: ⌊(in + 2·pad − k) / d⌋ + 1, or ⌈…⌉ + 1 in ceil mode;
 * in ceil mode a last window that would start at or past the input's end
 * (in + pad) is dropped, as in Torch and PyTorch.
 */
export abstract class SpatialPooling extends Module {
  /** Torch's `ceil_mode`. */
  ceilMode = false;

  constructor(
    readonly kW: number,
    readonly kH: number,
    readonly dW: number,
    readonly dH: number,
    readonly padW = 0,
    readonly padH = 0,
  ) {
    super();
    const name = new.target.name;
    for (const [n, v] of Object.entries({ kW, kH, dW, dH }))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`nn.${name}: ${n} must be a positive integer, got ${v}`);
    if (!Number.isInteger(padW) || !Number.isInteger(padH) || padW < 0 || padH < 0) throw new RangeError(`nn.${name}: padding must be a non-negative integer`);
    if (padW > Math.floor(kW / 2) || padH > Math.floor(kH / 2))
      throw new RangeError(`nn.${name}: pad should be smaller than half of kernel size, but got padW = ${padW}, padH = ${padH}, kW = ${kW}, kH = ${kH}`);
  }

  override toSpec(): ModuleSpec {
    const { kW, kH, dW, dH, padW, padH } = this;
    return specOf(this.typeName, [kW, kH, dW, dH, padW, padH], { ceil: this.ceilMode || undefined });
  }

  /** Torch's `ceil()`: round the output size up. */
  ceil(): this {
    this.ceilMode = true;
    return this;
  }

  /** Torch's `floor()` (the default): round the output size down. */
  floor(): this {
    this.ceilMode = false;
    return this;
  }

  /** Window placement along an axis of `size` with kernel k, stride d, pad p. */
  protected axis(size: number, k: number, d: number, p: number): PoolAxis {
    const span = size + 2 * p - k;
    let out = (this.ceilMode ? Math.ceil(span / d) : Math.floor(span / d)) + 1;
    if (this.ceilMode && (out - 1) * d >= size + p) out--;
    // Valid pooling over [p | input | after] gives exactly `out` windows.
    const after = Math.max(0, (out - 1) * d + k - size - p);
    return { out, before: p, after };
  }

  protected override checkInput(input: Activity): void {
    const x = this.expectShape(input, [
      ['N', 'H', 'W', 'C'],
      ['H', 'W', 'C'],
    ]);
    const [h, w] = x.shape.slice(-3, -1);
    if (h + 2 * this.padH < this.kH || w + 2 * this.padW < this.kW)
      throw new ShapeError(this.path(), `a padded image at least ${this.kH}x${this.kW} (kH x kW)`, `[${x.shape.join(',')}]`);
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    const x4 = (x.rank === 3 ? x.expandDims(0) : x) as Tensor4D;
    const [, h, w] = x4.shape;
    const rows = this.axis(h, this.kH, this.dH, this.padH);
    const cols = this.axis(w, this.kW, this.dW, this.padW);
    const y = this.pool(x4, rows, cols);
    return x.rank === 3 ? y.squeeze([0]) : y;
  }

  /** Pools an NHWC batch given the window placement along rows and columns. */
  protected abstract pool(x: Tensor4D, rows: PoolAxis, cols: PoolAxis): Tensor4D;

  /** `x` padded with `value` so that a valid pooling gives the output. */
  protected padded(x: Tensor4D, rows: PoolAxis, cols: PoolAxis, value: number): Tensor4D {
    if (!rows.before && !rows.after && !cols.before && !cols.after) return x;
    return tf.pad(
      x,
      [
        [0, 0],
        [rows.before, rows.after],
        [cols.before, cols.after],
        [0, 0],
      ],
      value,
    );
  }

  override toString(): string {
    let s = `nn.${this.typeName}(${this.kW}x${this.kH}, ${this.dW},${this.dH}`;
    if (this.padW !== 0 || this.padH !== 0) s += `, ${this.padW},${this.padH}`;
    return s + ')';
  }
}
