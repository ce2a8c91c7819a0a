import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { ShapeError } from '../util/errors';
import { nextSeed } from '../util/random';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW = 1,
 * dH = 1, padW = 0, padH = padW)`: a 2-D convolution (cross-correlation, as
 * in Torch and PyTorch) with zero padding.
 *
 * Shapes: input [N, H, W, nInputPlane] or [H, W, nInputPlane] (NHWC);
 * output [N, oH, oW, nOutputPlane] with oH = floor((H + 2·padH − kH) / dH) + 1
 * and oW likewise.
 *
 * `weight` is stored as tfjs's HWIO filter [kH, kW, nInputPlane, nOutputPlane]
 * so the forward needs no transpose; the state dict converts it to and from
 * PyTorch's `[out, in, kH, kW]`. `bias` is [nOutputPlane]; `noBias()` drops it.
 * Initialisation: uniform ±1/√(kW·kH·nInputPlane), as Torch's `reset()`.
 */
export class SpatialConvolution extends Module {
  readonly typeName = 'SpatialConvolution';
  readonly padW: number;
  readonly padH: number;

  constructor(
    readonly nInputPlane: number,
    readonly nOutputPlane: number,
    readonly kW: number,
    readonly kH: number,
    readonly dW = 1,
    readonly dH = 1,
    padW = 0,
    padH?: number,
  ) {
    super();
    this.padW = padW;
    this.padH = padH ?? padW;
    for (const [n, v] of Object.entries({ nInputPlane, nOutputPlane, kW, kH, dW, dH }))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`nn.SpatialConvolution: ${n} must be a positive integer, got ${v}`);
    if (this.padW < 0 || this.padH < 0) throw new RangeError('nn.SpatialConvolution: padding must be non-negative');
    this.addParameter('weight', tf.zeros([kH, kW, nInputPlane, nOutputPlane]));
    this.addParameter('bias', tf.zeros([nOutputPlane]));
    this.reset();
  }

  override toSpec(): ModuleSpec {
    const { nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH } = this;
    const args = [nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH];
    return specOf(this.typeName, args, { noBias: this.bias ? undefined : true });
  }

  get weight(): Tensor {
    return this.param('weight')!.value;
  }
  get gradWeight(): Tensor {
    return this.param('weight')!.grad;
  }
  get bias(): Tensor | undefined {
    return this.param('bias')?.value;
  }
  get gradBias(): Tensor | undefined {
    return this.param('bias')?.grad;
  }

  /** Torch's `noBias()`: removes the bias (and its state-dict entry). */
  noBias(): this {
    const i = this.params.findIndex((p) => p.name === 'bias');
    if (i >= 0) {
      const [p] = this.params.splice(i, 1);
      p.value.dispose();
      p.grad.dispose();
    }
    return this;
  }

  /** Torch's `reset(stdv)`: uniform ±stdv·√3 if given, else ±1/√(kW·kH·nInputPlane). */
  override reset(stdv?: number): this {
    const s = stdv !== undefined ? stdv * Math.sqrt(3) : 1 / Math.sqrt(this.kW * this.kH * this.nInputPlane);
    for (const p of this.params) this.fill(p.value, () => tf.randomUniform(p.value.shape, -s, s, 'float32', nextSeed()));
    return this;
  }

  protected override checkInput(input: Activity): void {
    const x = this.expectShape(input, [
      ['N', 'H', 'W', this.nInputPlane],
      ['H', 'W', this.nInputPlane],
    ]);
    const [h, w] = x.shape.slice(-3, -1);
    if (h + 2 * this.padH < this.kH || w + 2 * this.padW < this.kW)
      throw new ShapeError(this.path(), `a padded image at least ${this.kH}x${this.kW} (kH x kW)`, `[${x.shape.join(',')}]`);
  }

  private get explicitPad(): [[number, number], [number, number], [number, number], [number, number]] {
    return [
      [0, 0],
      [this.padH, this.padH],
      [this.padW, this.padW],
      [0, 0],
    ];
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    const x4 = (x.rank === 3 ? x.expandDims(0) : x) as Tensor4D;
    let y: Tensor = tf.conv2d(x4, this.weight as Tensor4D, [this.dH, this.dW], this.explicitPad);
    if (this.bias) y = y.add(this.bias);
    return x.rank === 3 ? y.squeeze([0]) : y;
  }

  /**
   * Torch's closed-form backward, instead of the base class's autodiff
   * re-run of the forward: the input gradient is a transposed convolution
   * of gradOutput, the filter gradient tfjs's Conv2DBackpropFilter kernel
   * (ours on wasm), the bias gradient a sum.
   */
  protected override vjp(input: Activity, gradOutput: Activity, wantInput: boolean, wantParams: boolean): { gradInput?: Activity; paramGrads?: Tensor[] } {
    const x = input as Tensor;
    const unbatched = x.rank === 3;
    return tf.tidy(() => {
      const x4 = (unbatched ? x.expandDims(0) : x) as Tensor4D;
      const dy = (unbatched ? (gradOutput as Tensor).expandDims(0) : gradOutput) as Tensor4D;
      const strides: [number, number] = [this.dH, this.dW];
      const out: { gradInput?: Activity; paramGrads?: Tensor[] } = {};
      if (wantInput) {
        const dx = tf.conv2dTranspose(dy, this.weight as Tensor4D, x4.shape, strides, this.explicitPad);
        out.gradInput = unbatched ? dx.squeeze([0]) : dx;
      }
      if (wantParams) {
        const dw = tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: x4, dy },
          {
            strides,
            pad: this.explicitPad,
            dataFormat: 'NHWC',
            filterShape: this.weight.shape,
          },
        ) as Tensor;
        out.paramGrads = this.bias ? [dw, tf.sum(dy, [0, 1, 2])] : [dw];
      }
      return out as tf.TensorContainer;
    }) as { gradInput?: Activity; paramGrads?: Tensor[] };
  }

  /** HWIO → PyTorch's [out, in, kH, kW]. */
  protected override toTorchLayout(name: string, t: Tensor): Tensor {
    return name === 'weight' ? tf.transpose(t, [3, 2, 0, 1]) : t.clone();
  }

  /** PyTorch's [out, in, kH, kW] → HWIO. */
  protected override fromTorchLayout(name: string, t: Tensor): Tensor {
    return name === 'weight' ? tf.transpose(t, [2, 3, 1, 0]) : t.clone();
  }

  override toString(): string {
    let s = `nn.SpatialConvolution(${this.nInputPlane} -> ${this.nOutputPlane}, ${this.kW}x${this.kH}`;
    if (this.dW !== 1 || this.dH !== 1 || this.padW !== 0 || this.padH !== 0) s += `, ${this.dW},${this.dH}`;
    if (this.padW !== 0 || this.padH !== 0) s += `, ${this.padW},${this.padH}`;
    return s + (this.bias ? ')' : ') without bias');
  }
}
