import type { Tensor } from '@tensorflow/tfjs-core';
import type { ModuleSpec } from '../io/specFormat';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { nextSeed } from '../util/random';
import { AbstractRecurrent } from './AbstractRecurrent';
import { TransposeCache } from '../util/transposeCache';
import { projT } from './kernels';

/**
 * What FastLSTM, LSTM and GRU share: an input-to-gates map `weight_ih_l0`
 * and a hidden-to-gates map `weight_hh_l0` (PyTorch's keys), applied to
 * [N, inputSize] inputs and [N, outputSize] states.
 *
 * Products go through cached transposed weights, because wasm's matMul with
 * `transposeB` is several times slower than a plain one; while a step is
 * unrolled under a tape (`pureStep`) they stay differentiable instead.
 */
export abstract class GatedCell extends AbstractRecurrent {
  readonly outputSize: number;
  private tcache = new TransposeCache();

  constructor(
    readonly inputSize: number,
    outputSize: number | undefined,
    rho: number,
  ) {
    super(rho);
    this.outputSize = outputSize ?? inputSize;
  }

  override toSpec(): ModuleSpec {
    return this.recurrentSpec([this.inputSize, this.outputSize, this.rho]);
  }

  protected w(name: string): Tensor {
    return this.param(name)!.value;
  }

  /** x @ Wᵀ for the named weight. */
  protected proj(x: Tensor, name: string): Tensor {
    const w = this.w(name);
    return this.pureStep ? projT(x, w) : tf.matMul(x, this.tcache.get(w));
  }

  /** Torch's uniform ±stdv initialisation (zeros when stdv is 0) of one parameter. */
  protected initUniform(name: string, stdv: number): void {
    const p = this.w(name) as tf.Variable;
    this.fill(p, () => (stdv === 0 ? tf.zeros(p.shape) : tf.randomUniform(p.shape, -stdv, stdv, 'float32', nextSeed())));
  }

  /** `count` zero states of [N, outputSize] for an input of [N, inputSize] or [inputSize]. */
  protected zeros(input: Activity, count: number): Tensor[] {
    const x = input as Tensor;
    const n = x.rank === 2 ? x.shape[0] : 1;
    return Array.from({ length: count }, () => tf.zeros([n, this.outputSize]));
  }

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['N', this.inputSize], [this.inputSize]]);
  }

  override dispose(): void {
    this.tcache.dispose();
    super.dispose();
  }
}
