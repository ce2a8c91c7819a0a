import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import type { StepRecord } from './AbstractRecurrent';
import { GatedCell } from './GatedCell';
import { gruBackward, gruForward, weightGrad } from './kernels';

/**
 * rnn's `nn.GRU(inputSize, outputSize = inputSize, rho = 9999)` with PyTorch
 * `nn.GRU`'s maths: r = σ(W_ir x + b_ir + W_hr h + b_hr),
 * z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
 * h' = (1 − z) ⊙ n + z ⊙ h.
 *
 * Shapes: input [N, I] or [I]; output and state [N, H] or [H].
 * Parameters: `weight_ih_l0` [3H, I], `weight_hh_l0` [3H, H], `bias_ih_l0`,
 * `bias_hh_l0` [3H], gates r, z, n, as PyTorch.
 * Deviation from Torch's rnn GRU: Torch applies r before the hidden map
 * (U_n (r ⊙ h)) and has no hidden biases; we follow PyTorch so its weights
 * load and its numbers match. Initialisation as Torch's: W_ih, b_ih uniform
 * ±1/√I, W_hh uniform ±1/√H, b_hh zero. Torch's dropout `p` and `mono` are not supported.
 */
export class GRU extends GatedCell {
  readonly typeName: string = 'GRU';

  constructor(inputSize: number, outputSize?: number, rho = 9999) {
    super(inputSize, outputSize, rho);
    this.addGateParameters(3);
    this.reset();
  }

  override reset(): this {
    const si = 1 / Math.sqrt(this.inputSize);
    const sh = 1 / Math.sqrt(this.outputSize);
    for (const p of this.params) this.initUniform(p.name, p.name.endsWith('ih_l0') ? si : p.name === 'weight_hh_l0' ? sh : 0);
    return this;
  }

  protected zeroState(input: Activity): Tensor[] {
    return this.zeros(input, 1);
  }

  private gates(x2: Tensor, h: Tensor) {
    return gruForward(this.proj(x2, 'weight_ih_l0').add(this.w('bias_ih_l0')), this.proj(h, 'weight_hh_l0').add(this.w('bias_hh_l0')), h);
  }

  protected nextHidden(x2: Tensor, prev: Tensor[]): Tensor {
    return this.gates(x2, prev[0]).h;
  }

  protected stepForward(input: Activity, prevState: Tensor[], _step: number, keepCache: boolean) {
    this.checkInput(input);
    return tf.tidy(() => {
      const x = input as Tensor;
      const s = this.gates(this.batched(x), prevState[0]);
      return { output: x.rank === 1 ? s.h.reshape([-1]) : s.h, state: [s.h], cache: keepCache ? s.cache : [] };
    });
  }

  protected stepBackward(input: Activity, rec: StepRecord, gradOutput: Activity, gradState: Tensor[] | null) {
    const x = input as Tensor;
    const x2 = this.batched(x);
    const [hPrev] = rec.prevState;
    let dh = (gradOutput as Tensor).reshape(hPrev.shape);
    if (gradState?.[0]) dh = dh.add(gradState[0]);
    const { dGi, dGh, dhPrevDirect } = gruBackward(rec.cache, hPrev, dh);
    const dx = tf.matMul(dGi, this.w('weight_ih_l0'));
    return {
      gradInput: x.rank === 1 ? dx.reshape([-1]) : dx,
      gradPrevState: [tf.matMul(dGh, this.w('weight_hh_l0')).add(dhPrevDirect)],
      paramGrads: [weightGrad(dGi, x2), weightGrad(dGh, hPrev), dGi.sum(0), dGh.sum(0)],
    };
  }
}
