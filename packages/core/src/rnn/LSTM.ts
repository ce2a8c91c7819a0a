import type { Tensor } from '@tensorflow/tfjs-core';
import type { ModuleSpec } from '../util/moduleSpec';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import type { StepRecord } from './AbstractRecurrent';
import { GatedCell } from './GatedCell';
import { lstmBackward, lstmForward, type Peepholes, weightGrad } from './kernels';

export interface LSTMOptions {
  /** Diagonal cell-to-gate ("peephole") connections, Torch's `cell2gate` (default true). */
  peephole?: boolean;
  /** Maximum BPTT steps kept (default 9999). */
  rho?: number;
}

/**
 * rnn's `nn.LSTM(inputSize, outputSize = inputSize, rho = 9999, cell2gate = true)`,
 * also `new LSTM(I, H, { peephole, rho })`: an LSTM step with peepholes, as
 * Torch's rnn builds it:
 * i = σ(W_i x + U_i h + b_i + p_i ⊙ c), f = σ(W_f x + U_f h + b_f + p_f ⊙ c),
 * g = tanh(W_g x + U_g h + b_g), c' = f ⊙ c + i ⊙ g,
 * o = σ(W_o x + U_o h + b_o + p_o ⊙ c'), h' = o ⊙ tanh(c').
 *
 * Shapes: input [N, I] or [I]; output [N, H] or [H]; state [h, c].
 * Parameters (fused, PyTorch-style keys, gates i, f, g, o): `weight_ih_l0`
 * [4H, I], `weight_hh_l0` [4H, H], `bias_ih_l0` [4H] (Torch's hidden-to-gate
 * maps have no bias), and with peepholes `weight_ci`, `weight_cf`, `weight_co` [H].
 * Initialisation as Torch's: input maps uniform ±1/√I, hidden maps ±1/√H,
 * peepholes (CMul) ±1/√H.
 */
export class LSTM extends GatedCell {
  readonly typeName: string = 'LSTM';
  readonly peephole: boolean;

  constructor(inputSize: number, outputSize?: number, rho?: number, cell2gate?: boolean);
  constructor(inputSize: number, outputSize: number | undefined, options: LSTMOptions);
  constructor(inputSize: number, outputSize?: number, rhoOrOptions?: number | LSTMOptions, cell2gate?: boolean) {
    const opts: LSTMOptions = typeof rhoOrOptions === 'object' ? rhoOrOptions : { rho: rhoOrOptions, peephole: cell2gate };
    super(inputSize, outputSize, opts.rho ?? 9999);
    this.peephole = opts.peephole ?? true;
    this.addGateParameters(4, false);
    if (this.peephole) for (const k of ['weight_ci', 'weight_cf', 'weight_co']) this.addParameter(k, tf.zeros([this.outputSize]));
    this.reset();
  }

  override reset(): this {
    const si = 1 / Math.sqrt(this.inputSize);
    const sh = 1 / Math.sqrt(this.outputSize);
    for (const p of this.params) this.initUniform(p.name, p.name.endsWith('ih_l0') ? si : sh);
    return this;
  }

  override toSpec(): ModuleSpec {
    return this.recurrentSpec([this.inputSize, this.outputSize, this.rho, this.peephole]);
  }

  private peep(): Peepholes | undefined {
    return this.peephole ? { ci: this.w('weight_ci'), cf: this.w('weight_cf'), co: this.w('weight_co') } : undefined;
  }

  protected zeroState(input: Activity): Tensor[] {
    return this.zeros(input, 2);
  }

  private pre(x2: Tensor, h: Tensor): Tensor {
    return this.proj(x2, 'weight_ih_l0').add(this.proj(h, 'weight_hh_l0')).add(this.w('bias_ih_l0'));
  }

  protected nextHidden(x2: Tensor, prev: Tensor[]): Tensor {
    return lstmForward(this.pre(x2, prev[0]), prev[1], this.peep()).h;
  }

  protected stepForward(input: Activity, prevState: Tensor[], _step: number, keepCache: boolean) {
    this.checkInput(input);
    return tf.tidy(() => {
      const x = input as Tensor;
      const x2 = this.batched(x);
      const s = lstmForward(this.pre(x2, prevState[0]), prevState[1], this.peep());
      return { output: x.rank === 1 ? s.h.reshape([-1]) : s.h, state: [s.h, s.c], cache: keepCache ? s.cache : [] };
    });
  }

  protected stepBackward(input: Activity, rec: StepRecord, gradOutput: Activity, gradState: Tensor[] | null) {
    const x = input as Tensor;
    const x2 = this.batched(x);
    const [hPrev, cPrev] = rec.prevState;
    let dh = (gradOutput as Tensor).reshape(hPrev.shape);
    if (gradState?.[0]) dh = dh.add(gradState[0]);
    const { dPre, dcPrev, dPeep } = lstmBackward(rec.cache, cPrev, rec.state[1], dh, gradState?.[1] ?? null, this.peep());
    const dx = tf.matMul(dPre, this.w('weight_ih_l0'));
    return {
      gradInput: x.rank === 1 ? dx.reshape([-1]) : dx,
      gradPrevState: [tf.matMul(dPre, this.w('weight_hh_l0')), dcPrev],
      paramGrads: [weightGrad(dPre, x2), weightGrad(dPre, hPrev), dPre.sum(0), ...(dPeep ?? [])],
    };
  }

  protected override exposeState(state: Tensor[]): Activity {
    return state;
  }

  get cellState(): Tensor {
    return (this.getHiddenState() as Tensor[])[1];
  }
}
