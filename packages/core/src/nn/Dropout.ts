import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { ModuleError } from '../util/errors';
import { nextSeed } from '../util/random';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.Dropout(p = 0.5, v1 = false, inplace = false)`: in training,
 * zeroes each element with probability p.
 *
 * Shapes: any; output has the input's shape.
 *
 * Default (Torch's version 2): kept elements are scaled by 1/(1 − p) in
 * training and evaluate() is the identity. With `v1` the training output is
 * not scaled and evaluate() multiplies by (1 − p). The mask drawn in the
 * forward is kept as `noise` (scaled, as Torch's) and reused by
 * `updateGradInput`/`backward`, so the gradient flows exactly where the
 * forward let the input through. `inplace` is accepted for Torch
 * compatibility; tfjs tensors are immutable, so it changes nothing.
 * Masks are drawn from the library's seeded stream (`manualSeed`).
 */
export class Dropout extends Module {
  readonly typeName: string = 'Dropout';
  /** The last training mask, scaled as applied (Torch's `noise`); null before. */
  noise: Tensor | null = null;

  constructor(
    public p = 0.5,
    readonly v1 = false,
    readonly inplace = false,
  ) {
    super();
    Dropout.checkP(p);
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.p, this.v1, this.inplace]);
  }

  private static checkP(p: number): void {
    if (!(p >= 0 && p < 1)) throw new RangeError(`<Dropout> illegal percentage, must be 0 <= p < 1, got ${p}`);
  }

  /** Torch's `setp(p)`. */
  setp(p: number): this {
    Dropout.checkP(p);
    this.p = p;
    return this;
  }

  /** The mask's shape for an input: one draw per element here. */
  protected noiseShape(x: Tensor): number[] {
    return x.shape;
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    if (!this.train) return this.v1 && this.p > 0 ? x.mul(1 - this.p) : x.clone();
    if (this.p === 0) return x.clone();
    // A re-run under autodiff must see the mask of the forward it differentiates.
    if (!this.recomputing || !this.noise) this.drawNoise(x);
    return x.mul(this.noise!);
  }

  /** Draws a fresh Bernoulli(1 − p) mask, scaled by 1/(1 − p) unless v1, kept across tidy scopes. */
  private drawNoise(x: Tensor): void {
    const keep = 1 - this.p;
    const noise = tf.tidy(() => {
      const mask = tf.randomUniform(this.noiseShape(x), 0, 1, 'float32', nextSeed()).greaterEqual(this.p).cast('float32');
      return this.v1 ? mask : mask.div(keep);
    });
    this.noise?.dispose();
    this.noise = tf.keep(noise);
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const g = tf.tidy(() => {
      const dy = gradOutput as Tensor;
      if (!this.train) return this.v1 && this.p > 0 ? dy.mul(1 - this.p) : dy.clone();
      if (this.p === 0) return dy.clone();
      if (!this.noise) throw new ModuleError(this.path(), 'backward before forward: no dropout mask');
      return dy.mul(this.noise);
    });
    return this.setGradInput(g, input, gradOutput);
  }

  override backward(input: Activity, gradOutput: Activity, _scale = 1): Activity {
    return this.updateGradInput(input, gradOutput);
  }

  /** Frees `output`, `gradInput` and the mask (Torch's `clearState`). */
  override clearState(): this {
    this.noise?.dispose();
    this.noise = null;
    return super.clearState();
  }

  override toString(): string {
    return `nn.${this.typeName}(${this.p.toFixed(6)})`;
  }
}
