import type { Tensor } from '@tensorflow/tfjs-core';
import type { ModuleSpec } from '../util/moduleSpec';
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

  /** Creates `weight_ih_l0` [gates·H, I], `weight_hh_l0` [gates·H, H], `bias_ih_l0` and (unless `hhBias` is false) `bias_hh_l0` [gates·H]. */
  protected addGateParameters(gates: number, hhBias = true): void {
    const G = gates * this.outputSize;
    this.addParameter('weight_ih_l0', tf.zeros([G, this.inputSize]));
    this.addParameter('weight_hh_l0', tf.zeros([G, this.outputSize]));
    this.addParameter('bias_ih_l0', tf.zeros([G]));
    if (hhBias) this.addParameter('bias_hh_l0', tf.zeros([G]));
  }

  /** An input as a batch: [I] becomes [1, I]. */
  protected batched(x: Tensor): Tensor {
    return x.rank === 1 ? x.reshape([1, -1]) : x;
  }

  /** The new hidden state h [N, H] of one step from a batch x2 [N, I] and the previous state; pure. */
  protected abstract nextHidden(x2: Tensor, prev: Tensor[]): Tensor;

  /** One step from the current state, without advancing (pure; for `apply`). */
  protected compute(input: Activity): Activity {
    const was = this.pureStep;
    this.pureStep = true;
    try {
      const x = input as Tensor;
      const last = this.step > 0 ? this.records[this.step - 1] : undefined;
      const h = this.nextHidden(this.batched(x), last ? last.state : this.zeroState(x));
      return x.rank === 1 ? h.reshape([-1]) : h;
    } finally {
      this.pureStep = was;
    }
  }

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['N', this.inputSize], [this.inputSize]]);
  }

  override dispose(): void {
    this.tcache.dispose();
    super.dispose();
  }
}
