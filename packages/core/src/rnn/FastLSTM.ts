import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import type { StepRecord } from './AbstractRecurrent';
import { GatedCell } from './GatedCell';
import { lstmBackward, lstmForward, weightGrad } from './kernels';
import { lstmSequence } from './lstmSequence';

/**
 * rnn's `nn.FastLSTM(inputSize, outputSize = inputSize, rho = 9999)`: an LSTM
 * step without peepholes, with PyTorch `nn.LSTM`'s maths:
 * i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh);
 * c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c'). Output h'; state [h, c].
 *
 * Shapes: input [N, inputSize] or [inputSize]; output [N, outputSize] or [outputSize].
 * Parameters use PyTorch's keys and layouts: `weight_ih_l0` [4H, I],
 * `weight_hh_l0` [4H, H], `bias_ih_l0` [4H], `bias_hh_l0` [4H], gates i, f, g, o
 * (Torch's FastLSTM orders them i, g, f, o and has only one bias).
 * Initialisation as Torch's Linear/LinearNoBias: W_ih, b_ih uniform ±1/√I,
 * W_hh uniform ±1/√H, b_hh zero (so the model is exactly Torch's).
 */
export class FastLSTM extends GatedCell {
  readonly typeName: string = 'FastLSTM';

  constructor(inputSize: number, outputSize?: number, rho = 9999) {
    super(inputSize, outputSize, rho);
    this.addGateParameters(4);
    this.reset();
  }

  override reset(): this {
    const si = 1 / Math.sqrt(this.inputSize);
    const sh = 1 / Math.sqrt(this.outputSize);
    this.initUniform('weight_ih_l0', si);
    this.initUniform('bias_ih_l0', si);
    this.initUniform('weight_hh_l0', sh);
    this.initUniform('bias_hh_l0', 0);
    return this;
  }

  protected zeroState(input: Activity): Tensor[] {
    return this.zeros(input, 2);
  }

  protected nextHidden(x2: Tensor, prev: Tensor[]): Tensor {
    return lstmForward(this.preActivation(x2, prev[0]), prev[1]).h;
  }

  protected preActivation(x2: Tensor, h: Tensor): Tensor {
    return this.proj(x2, 'weight_ih_l0')
      .add(this.proj(h, 'weight_hh_l0'))
      .add(this.w('bias_ih_l0').add(this.w('bias_hh_l0')));
  }

  /** The whole sequence as one op (lstmSequence), from the zero state; not with `maskZero` or a set initial state. */
  override unrollTensor(x: Tensor, reverse: boolean): Tensor | null {
    if (this.maskzero || this.initState || x.rank !== 3 || x.shape[0] === 0) return null;
    this.expectShape(x, [['T', 'N', this.inputSize]]);
    const h0 = tf.zeros([x.shape[1] as number, this.outputSize]);
    const weights = { wih: this.w('weight_ih_l0'), whh: this.w('weight_hh_l0'), bih: this.w('bias_ih_l0'), bhh: this.w('bias_hh_l0') };
    return lstmSequence(x, h0, h0, weights, reverse);
  }

  protected stepForward(input: Activity, prevState: Tensor[], _step: number, keepCache: boolean) {
    this.checkInput(input);
    return tf.tidy(() => {
      const x = input as Tensor;
      const x2 = this.batched(x);
      const s = lstmForward(this.preActivation(x2, prevState[0]), prevState[1]);
      const output = x.rank === 1 ? s.h.reshape([-1]) : s.h;
      return { output, state: [s.h, s.c], cache: keepCache ? s.cache : [] };
    });
  }

  protected stepBackward(input: Activity, rec: StepRecord, gradOutput: Activity, gradState: Tensor[] | null) {
    const x = input as Tensor;
    const x2 = this.batched(x);
    const [hPrev, cPrev] = rec.prevState;
    let dh = (gradOutput as Tensor).reshape(hPrev.shape);
    if (gradState?.[0]) dh = dh.add(gradState[0]);
    const { dPre, dcPrev } = lstmBackward(rec.cache, cPrev, rec.state[1], dh, gradState?.[1] ?? null);
    const dx = tf.matMul(dPre, this.w('weight_ih_l0'));
    const dhPrev = tf.matMul(dPre, this.w('weight_hh_l0'));
    const db = dPre.sum(0);
    return {
      gradInput: x.rank === 1 ? dx.reshape([-1]) : dx,
      gradPrevState: [dhPrev, dcPrev],
      paramGrads: [weightGrad(dPre, x2), weightGrad(dPre, hPrev), db, db],
    };
  }

  protected override exposeState(state: Tensor[]): Activity {
    return state;
  }

  /** The last step's cell state c. */
  get cellState(): Tensor {
    return (this.getHiddenState() as Tensor[])[1];
  }
}
