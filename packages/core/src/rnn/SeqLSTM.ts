import type { Tensor } from '@tensorflow/tfjs-core';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { tf } from '../tf';
import { type Activity, disposeActivity, disposeList } from '../util/activity';
import { nextSeed } from '../util/random';
import { TransposeCache } from '../util/transposeCache';
import { Module } from '../nn/Module';
import { checkRememberMode, type RememberMode, remembers } from './remember';
import { type LstmSequenceCache, type LstmWeights, lstmSequence, lstmSequenceBackward, lstmSequenceForward } from './lstmSequence';
import { ModuleError } from '../util/errors';

export interface SeqLSTMOptions {
  /** Input and output are [N, T, F] instead of [T, N, F] (rnn's `batchfirst`). */
  batchFirst?: boolean;
}

/**
 * rnn's `nn.SeqLSTM(inputSize, outputSize = inputSize)`: an LSTM over a whole
 * sequence tensor at once, PyTorch `nn.LSTM`'s maths and layouts
 * (`weight_ih_l0` [4H, I], `weight_hh_l0` [4H, H], `bias_ih_l0`, `bias_hh_l0`,
 * gates i, f, g, o).
 *
 * Shapes: input [T, N, I] (time-major) or, with `batchFirst`, [N, T, I];
 * output [T, N, H] or [N, T, H].
 *
 * Speed: the input projection of all steps is one matMul, each step one
 * [N,H]×[H,4H] matMul for all four gates, and the backward pass forms the
 * weight gradients of all steps in one matMul each.
 *
 * State: each forward starts from zeros, or the state set with
 * `setHiddenState(-1, [h0, c0])`, or with `remember()` the last state of the
 * previous forward. `getHiddenState()` is the last `[h, c]`;
 * `getGradHiddenState()` the gradient w.r.t. the initial `[h0, c0]` after
 * backward; `setGradHiddenState(T-1, [dh, dc])` adds a gradient w.r.t. the
 * final state (seq2seq).
 *
 * Initialisation as Torch's SeqLSTM: weights normal(0, 1/√(I+H)), biases
 * zero except the forget gate's input bias, 1. Torch's `maskzero` is not supported.
 */
export class SeqLSTM extends Module {
  readonly typeName: string = 'SeqLSTM';
  readonly outputSize: number;
  batchFirst: boolean;
  private rememberMode: RememberMode = 'neither';
  private cache: LstmSequenceCache | null = null;
  /** [in, 4H] copies of the weights for forwards outside a tape (see `run`). */
  private transposed = new TransposeCache();
  private lastState: Tensor[] | null = null;
  private initState: Tensor[] | null = null;
  private gradInit: Tensor[] | null = null;
  private gradFinal: Tensor[] | null = null;
  private pendingGrads: Tensor[] | null = null;

  constructor(
    readonly inputSize: number,
    outputSize?: number,
    options: SeqLSTMOptions = {},
  ) {
    super();
    this.outputSize = outputSize ?? inputSize;
    this.batchFirst = options.batchFirst ?? false;
    const H = this.outputSize;
    this.addParameter('weight_ih_l0', tf.zeros([4 * H, inputSize]));
    this.addParameter('weight_hh_l0', tf.zeros([4 * H, H]));
    this.addParameter('bias_ih_l0', tf.zeros([4 * H]));
    this.addParameter('bias_hh_l0', tf.zeros([4 * H]));
    this.reset();
  }

  override reset(std = 1 / Math.sqrt(this.inputSize + this.outputSize)): this {
    const H = this.outputSize;
    tf.tidy(() => {
      this.w('weight_ih_l0').assign(tf.randomNormal([4 * H, this.inputSize], 0, std, 'float32', nextSeed()));
      this.w('weight_hh_l0').assign(tf.randomNormal([4 * H, H], 0, std, 'float32', nextSeed()));
      this.w('bias_ih_l0').assign(tf.concat([tf.zeros([H]), tf.ones([H]), tf.zeros([2 * H])]));
      this.w('bias_hh_l0').assign(tf.zeros([4 * H]));
    });
    return this;
  }

  /** `args: [inputSize, outputSize, { batchFirst }]`, and `remember: mode` unless 'neither'. */
  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.inputSize, this.outputSize, this.batchFirst ? { batchFirst: true } : undefined], {
      remember: this.rememberMode === 'neither' ? undefined : this.rememberMode,
    });
  }

  private w(name: string): tf.Variable {
    return this.param(name)!.value;
  }

  /** rnn's `remember(mode = 'both')`: keep the last state for the next forward. */
  remember(mode: RememberMode = 'both'): this {
    this.rememberMode = checkRememberMode(mode, this.path());
    return this;
  }

  forget(): this {
    disposeList(this.lastState);
    this.lastState = null;
    return this;
  }

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['T', 'N', this.inputSize]]);
  }

  /** The state a forward starts from: new tensors the caller owns. */
  private startState(n: number): Tensor[] {
    if (remembers(this.rememberMode, this.train) && this.lastState && this.lastState[0].shape[0] === n) return this.lastState.map((s) => s.clone());
    if (this.initState) return this.initState.map((s) => s.clone());
    return [tf.zeros([n, this.outputSize]), tf.zeros([n, this.outputSize])];
  }

  /** The four parameters as lstmSequence takes them. */
  private weights(): LstmWeights {
    return { wih: this.w('weight_ih_l0'), whh: this.w('weight_hh_l0'), bih: this.w('bias_ih_l0'), bhh: this.w('bias_hh_l0') };
  }

  private toTimeMajor(x: Tensor): Tensor {
    return this.batchFirst ? tf.transpose(x, [1, 0, 2]) : x;
  }

  /** Under a tape or for `apply`: the whole sequence as one op with its own backward (lstmSequence). */
  protected compute(input: Activity): Activity {
    const x = this.toTimeMajor(input as Tensor);
    const [h0, c0] = this.startState(x.shape[1] as number);
    const y = lstmSequence(x, h0, c0, this.weights());
    return this.batchFirst ? tf.transpose(y, [1, 0, 2]) : y;
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    const x = input as Tensor;
    const n = (this.batchFirst ? x.shape[0] : x.shape[1]) as number;
    const s0 = this.startState(n);
    const keep = this.train;
    const res = tf.tidy(() => {
      // The weights as [in, 4H] copies kept until they change: wasm's matMul is much
      // slower with transposeB, and the two transposes dominate a small forward (docs/rnn.md).
      const transposed = { wihT: this.transposed.get(this.w('weight_ih_l0')), whhT: this.transposed.get(this.w('weight_hh_l0')) };
      const r = lstmSequenceForward(this.toTimeMajor(x), s0[0], s0[1], this.weights(), false, transposed);
      const y = this.batchFirst ? tf.transpose(r.y, [1, 0, 2]) : r.y;
      return { y, last: r.last.map((t) => t.clone()), cache: (keep ? r.cache : undefined) as unknown as tf.TensorContainer };
    }) as unknown as { y: Tensor; last: Tensor[]; cache?: LstmSequenceCache };
    this.freeCache();
    this.cache = res.cache ?? null;
    if (!keep) disposeList(s0);
    disposeList(this.lastState);
    this.lastState = res.last;
    disposeActivity(this.output);
    this.output = res.y;
    disposeList(this.gradInit);
    this.gradInit = null;
    return res.y;
  }

  private freeCache(): void {
    const c = this.cache;
    if (c) {
      disposeList([c.x2, c.h0, c.c0, ...c.hs, ...c.cs, ...c.gates.flat()]);
      this.cache = null;
    }
    disposeList(this.pendingGrads);
    this.pendingGrads = null;
  }

  /** Full BPTT: gradInput, and the parameter gradients kept for accGradParameters. */
  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const c = this.cache;
    if (!c) throw new ModuleError(this.path(), 'backward needs a forward in training mode');
    const gradFinal = this.gradFinal;
    const res = tf.tidy(() => {
      const g = lstmSequenceBackward(
        c,
        { wih: this.w('weight_ih_l0'), whh: this.w('weight_hh_l0') },
        this.toTimeMajor(gradOutput as Tensor),
        gradFinal?.[0],
        gradFinal?.[1],
      );
      const dx = this.batchFirst ? tf.transpose(g.dx, [1, 0, 2]) : g.dx;
      return { dx, gradInit: [g.dh0, g.dc0], grads: [g.dWih, g.dWhh, g.db, g.db] };
    });
    disposeList(this.gradFinal);
    this.gradFinal = null;
    disposeList(this.gradInit);
    this.gradInit = res.gradInit;
    disposeList(this.pendingGrads);
    this.pendingGrads = res.grads;
    return this.setGradInput(res.dx, input, gradOutput);
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    if (!this.pendingGrads) this.updateGradInput(input, gradOutput);
    const g = this.pendingGrads!;
    this.pendingGrads = null;
    this.accumulate(g, scale);
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gi = this.updateGradInput(input, gradOutput);
    this.accGradParameters(input, gradOutput, scale);
    return gi;
  }

  /** The last forward's final state `[h, c]` (step −1: the initial state set). */
  getHiddenState(step?: number): Tensor[] {
    if (step !== undefined && step < 0) {
      if (!this.initState) throw new ModuleError(this.path(), 'no initial state set');
      return this.initState;
    }
    if (!this.lastState) throw new ModuleError(this.path(), 'no state yet');
    return this.lastState;
  }

  /** Sets the initial `[h0, c0]` (step −1, copied; null clears it). */
  setHiddenState(step: number, state: Activity | null): this {
    if (step >= 0) throw new ModuleError(this.path(), 'only the initial state (step -1) can be set');
    disposeList(this.initState);
    this.initState = state === null ? null : (state as Tensor[]).map((t) => t.clone());
    return this;
  }

  /** Gradient w.r.t. the initial `[h0, c0]` after backward. */
  getGradHiddenState(): Tensor[] | null {
    return this.gradInit;
  }

  /** Gradient w.r.t. the final `[h, c]`, added by the next backward (copied). */
  setGradHiddenState(_step: number, grad: Activity | null): this {
    disposeList(this.gradFinal);
    this.gradFinal = grad === null ? null : (grad as Tensor[]).map((t) => t.clone());
    return this;
  }

  override clearState(): this {
    this.freeCache();
    this.transposed.dispose();
    this.forget();
    disposeList(this.gradInit);
    this.gradInit = null;
    return super.clearState();
  }

  override dispose(): void {
    this.clearState();
    disposeList(this.initState);
    disposeList(this.gradFinal);
    super.dispose();
  }

  override toString(): string {
    return `nn.SeqLSTM(${this.inputSize} -> ${this.outputSize})`;
  }
}
