import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, disposeActivity, disposeList, flattenActivity, isTensor, mapActivity } from '../util/activity';
import { Container } from '../nn/Container';
import type { Module, Parameter } from '../nn/Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { ModuleError } from '../util/errors';
import { accumulateGrad } from '../util/gradBuffers';
import { maskShape, zeroMask } from './mask';

/** What one forward step leaves behind for BPTT. All tensors are owned by the record. */
export interface StepRecord {
  output: Activity;
  /** State after the step (LSTM: [h, c]; GRU, Recurrent: [h]). */
  state: Tensor[];
  /** State before the step (a copy). */
  prevState: Tensor[];
  /** Step-specific values the closed-form backward needs. */
  cache: Tensor[];
  /** [N] (or scalar) zero mask of the input rows, with `maskZero()`. */
  mask?: Tensor;
  /** Parameter gradients computed by updateGradInput, waiting for accGradParameters. */
  paramGrads?: Tensor[];
  gradInput?: Activity;
  /** Anything else a subclass keeps (Recursor's snapshots), freed with the record. */
  extra?: { dispose(): void };
}

/**
 * rnn's `nn.AbstractRecurrent(rho)`: a module applied one time step per
 * `forward`, keeping its state between calls, with online BPTT: after T
 * forwards, call `backward` (or `updateGradInput`/`accGradParameters`) T
 * times in reverse order of time, each with that step's input and gradOutput.
 *
 * State handling, as rnn's:
 * - `forget()` drops the history and restarts from the initial state (zero,
 *   or what `setHiddenState(-1, s)` set). Sequencer calls it before each
 *   sequence unless told to `remember`.
 * - `getHiddenState(step)` returns the state after a 0-based step (LSTMs:
 *   `[h, c]`; others: `h`), or the initial state for step −1;
 *   `setHiddenState(-1, s)` sets the initial state (kept across `forget()`
 *   until set to null), so an encoder's final state can start a decoder.
 * - `getGradHiddenState()` is the gradient w.r.t. that initial state after
 *   BPTT reached step 0; `setGradHiddenState(step, g)` injects a gradient
 *   w.r.t. the final state before BPTT starts (rnn's `gradPrevOutput` /
 *   `userNextGradCell`).
 *
 * Memory: every step's tensors are kept until `forget()`; in training only the
 * last `rho` steps are kept (rnn's `recycle`), in evaluation only the last one.
 * Tensors handed out (`output`, `gradInput`, states) are the module's: clone
 * them to keep them past `forget()`.
 */
export abstract class AbstractRecurrent extends Container {
  /** Maximum number of steps kept for BPTT (Sequencer sets it to the sequence length). */
  rho: number;
  /** Number of forward steps since `forget()` (rnn's `step - 1`). */
  step = 0;
  /** Zero outputs and state where an input row is all zeros (`maskZero()`). */
  maskzero = false;
  nInputDim = 1;

  protected records: (StepRecord | undefined)[] = [];
  protected ugiStep: number | null = null;
  protected agpStep: number | null = null;
  /** Gradient w.r.t. the state after step `ugiStep`, carried backwards. */
  protected carry: Tensor[] | null = null;
  protected initState: Tensor[] | null = null;
  protected gradInit: Tensor[] | null = null;
  protected gradFinal: Tensor[] | null = null;
  /** True while `unroll` runs (possibly under a gradient tape): steps must stay differentiable. */
  protected pureStep = false;

  constructor(rho = 9999) {
    super();
    this.rho = rho;
  }

  // ------------------------------------------------------------ subclasses

  /** The zero state for a batch like `input`. */
  protected abstract zeroState(input: Activity): Tensor[];

  /** One forward step (the caller keeps the returned tensors). */
  protected abstract stepForward(
    input: Activity,
    prevState: Tensor[],
    step: number,
    keepCache: boolean,
  ): { output: Activity; state: Tensor[]; cache: Tensor[] };

  /**
   * One backward step, run inside tf.tidy. `gradOutput` is d loss/d output of
   * this step, `gradState` d loss/d state after it (null: zero); both already
   * masked. Returns d input, d previous state and (when `wantParams`) the
   * parameter gradients in the order of `gradParams()`.
   */
  protected abstract stepBackward(
    input: Activity,
    rec: StepRecord,
    gradOutput: Activity,
    gradState: Tensor[] | null,
    step: number,
  ): { gradInput: Activity; gradPrevState: Tensor[]; paramGrads: Tensor[] };

  /** How the state is exposed: LSTMs return `[h, c]`, others `h`. */
  protected exposeState(state: Tensor[]): Activity {
    return state.length === 1 ? state[0] : state;
  }

  /** The parameters `stepBackward`'s `paramGrads` refer to, deduplicated. */
  protected gradParams(): Parameter[] {
    const seen = new Set<unknown>();
    const out: Parameter[] = [];
    for (const { param } of this.namedParameters()) {
      if (seen.has(param.value)) continue;
      seen.add(param.value);
      out.push(param);
    }
    return out;
  }

  // ---------------------------------------------------------------- forward

  override updateOutput(input: Activity): Activity {
    const t = this.step;
    let prevState: Tensor[];
    if (t === 0) prevState = this.initState ? this.initState.map((s) => s.clone()) : this.zeroState(input);
    else {
      const prev = this.records[t - 1];
      if (!prev) throw new ModuleError(this.path(), `missing state of step ${t - 1}`);
      prevState = prev.state.map((s) => s.clone());
    }
    const res = this.stepForward(input, prevState, t, this.train);
    const rec: StepRecord = { ...res, prevState };
    if (this.maskzero) this.applyMask(rec, input);
    this.records[t] = rec;
    this.output = rec.output;
    this.step = t + 1;
    this.resetBackward();
    // rnn's recycle: keep rho steps for BPTT in training, one in evaluation.
    const keep = this.train ? Math.max(1, this.rho) : 1;
    const old = this.step - 1 - keep;
    if (old >= 0 && this.records[old]) {
      disposeRecord(this.records[old]!);
      this.records[old] = undefined;
    }
    return this.output;
  }

  private applyMask(rec: StepRecord, input: Activity): void {
    const mask = tf.tidy(() => zeroMask(input, this.nInputDim));
    const masked = tf.tidy(() => ({
      out: flattenActivity(rec.output).map((o) => o.mul(mask.reshape(maskShape(mask, o)))),
      state: rec.state.map((s) => s.mul(mask.reshape(maskShape(mask, s)))),
    }));
    const outs = flattenActivity(rec.output);
    let k = 0;
    const rebuild = (a: Activity): Activity => (isTensor(a) ? masked.out[k++] : a.map(rebuild));
    const newOut = rebuild(rec.output);
    for (const t of [...outs, ...rec.state]) t.dispose();
    rec.output = newOut;
    rec.state = masked.state;
    rec.mask = mask;
  }

  protected resetBackward(): void {
    this.ugiStep = null;
    this.agpStep = null;
    disposeList(this.carry);
    this.carry = null;
  }

  /**
   * Pure unroll over a sequence from the initial state (zero or set), without
   * touching the module's history: what `Sequencer.apply` uses.
   */
  unroll(xs: Activity[]): Activity[] {
    if (xs.length === 0) return [];
    const state = this.initState ?? this.zeroState(xs[0]);
    this.pureStep = true;
    try {
      return this.unrollSteps(xs, state);
    } finally {
      this.pureStep = false;
    }
  }

  /**
   * A pure unroll over a [T, N, F] tensor as one op, outputs [T, N, H] in the
   * input's order (`reverse`: last step first), where the module has one;
   * null: unroll step by step. FastLSTM has one (lstmSequence.ts).
   */
  unrollTensor(_x: Tensor, _reverse: boolean): Tensor | null {
    return null;
  }

  /**
   * One pure step from `state` (LSTMs: `[h, c]`; null: the zero state),
   * without touching the module's history or initial state. For decoders
   * that feed back their own predictions (greedy or beam search) or carry
   * the state themselves inside a model's `compute`; differentiable under a
   * tape. The returned tensors are the caller's.
   */
  stepFrom(input: Activity, state: Tensor[] | null): { output: Activity; state: Tensor[] } {
    const was = this.pureStep;
    this.pureStep = true;
    try {
      const r = this.stepForward(input, state ?? this.zeroState(input), 0, false);
      return { output: r.output, state: r.state };
    } finally {
      this.pureStep = was;
    }
  }

  private unrollSteps(xs: Activity[], state: Tensor[]): Activity[] {
    return xs.map((x, t) => {
      const r = this.stepForward(x, state, t, false);
      let out = r.output;
      state = r.state;
      if (this.maskzero) {
        const m = zeroMask(x, this.nInputDim);
        out = mapActivity(out, (o) => o.mul(m.reshape(maskShape(m, o))));
        state = state.map((s) => s.mul(m.reshape(maskShape(m, s))));
      }
      return out;
    });
  }

  // --------------------------------------------------------------- backward

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    if (this.ugiStep === null) {
      this.ugiStep = this.step - 1;
      disposeList(this.carry);
      this.carry = this.gradFinal;
      this.gradFinal = null;
      disposeList(this.gradInit);
      this.gradInit = null;
    }
    const t = this.ugiStep;
    const rec = this.recordAt(t, 'updateGradInput');
    const carry = this.carry;
    const res = tf.tidy(() => {
      let gy = gradOutput;
      let gs = carry;
      if (rec.mask) {
        const m = rec.mask;
        gy = mapActivity(gy, (g) => g.mul(m.reshape(maskShape(m, g))));
        gs = gs ? gs.map((g) => g.mul(m.reshape(maskShape(m, g)))) : null;
      }
      const r = this.stepBackward(input, rec, gy, gs, t);
      return { gradInput: r.gradInput as tf.TensorContainer, gradPrevState: r.gradPrevState, paramGrads: r.paramGrads };
    }) as unknown as { gradInput: Activity; gradPrevState: Tensor[]; paramGrads: Tensor[] };
    disposeList(carry);
    disposeList(rec.paramGrads ?? null);
    disposeActivity(rec.gradInput);
    rec.paramGrads = res.paramGrads;
    rec.gradInput = res.gradInput;
    if (t === 0) {
      this.gradInit = res.gradPrevState;
      this.carry = null;
    } else this.carry = res.gradPrevState;
    this.ugiStep = t - 1;
    this.gradInput = res.gradInput;
    return res.gradInput;
  }

  override accGradParameters(_input: Activity, _gradOutput: Activity, scale = 1): void {
    if (this.agpStep === null) this.agpStep = this.step - 1;
    const t = this.agpStep;
    const rec = this.recordAt(t, 'accGradParameters');
    if (!rec.paramGrads) throw new ModuleError(this.path(), `call updateGradInput for step ${t} before accGradParameters`);
    const params = this.gradParams();
    const grads = rec.paramGrads;
    rec.paramGrads = undefined;
    tf.tidy(() => {
      params.forEach((p, i) => {
        if (grads[i]) accumulateGrad(p.grad, grads[i], scale);
      });
    });
    for (const g of grads) g.dispose();
    this.agpStep = t - 1;
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gi = this.updateGradInput(input, gradOutput);
    this.accGradParameters(input, gradOutput, scale);
    return gi;
  }

  protected recordAt(t: number, what: string): StepRecord {
    if (t < 0) throw new ModuleError(this.path(), `${what} called more times than forward`);
    const rec = this.records[t];
    if (!rec) throw new ModuleError(this.path(), `${what}: step ${t} is no longer kept (rho = ${this.rho}, or evaluation mode)`);
    if (rec.cache.length === 0 && this.needsCache()) throw new ModuleError(this.path(), `step ${t} was run in evaluation mode`);
    return rec;
  }

  /** Whether stepBackward needs `cache` (false for modules that recompute). */
  protected needsCache(): boolean {
    return true;
  }

  // ------------------------------------------------------------------ state

  /** rnn's `forget()`: drop the history; the next forward is step 0 again. */
  forget(): this {
    for (const r of this.records) if (r) disposeRecord(r);
    this.records = [];
    this.step = 0;
    this.resetBackward();
    disposeList(this.gradInit);
    this.gradInit = null;
    disposeList(this.gradFinal);
    this.gradFinal = null;
    this.output = [];
    this.gradInput = [];
    for (const c of this.children()) forgetAll(c);
    return this;
  }

  /** rnn's `maxBPTTstep(rho)`. */
  maxBPTTstep(rho: number): this {
    this.rho = rho;
    return this;
  }

  /** rnn's `maskZero(nInputDim)`: outputs and state are zeroed where an input row is all zeros. */
  maskZero(nInputDim = 1): this {
    this.maskzero = true;
    this.nInputDim = nInputDim;
    return this;
  }

  /** Per-step outputs since `forget()` (rnn's `outputs`, 0-based; pruned steps are undefined). */
  get outputs(): (Activity | undefined)[] {
    return this.records.map((r) => r?.output);
  }

  /** Per-step gradInputs (rnn's `gradInputs`, 0-based). */
  get gradInputs(): (Activity | undefined)[] {
    return this.records.map((r) => r?.gradInput);
  }

  /**
   * The state after a 0-based step (default: the last), or the initial state
   * for step −1 (zeros if none was set and no step ran). LSTMs give `[h, c]`.
   */
  getHiddenState(step = this.step - 1): Activity {
    if (step < 0) {
      if (this.initState) return this.exposeState(this.initState);
      if (this.records[0]) return this.exposeState(this.records[0].prevState);
      throw new ModuleError(this.path(), 'no initial state yet');
    }
    const rec = this.records[step];
    if (!rec) throw new ModuleError(this.path(), `no state for step ${step}`);
    return this.exposeState(rec.state);
  }

  /**
   * Sets the initial state (step −1), copied, used by every sequence after
   * `forget()` until set to null; or replaces the state after the last step
   * (step = this.step − 1) so the next forward continues from it.
   */
  setHiddenState(step: number, state: Activity | null): this {
    const list = state === null ? null : flattenActivity(state).map((t) => t.clone());
    if (step < 0) {
      disposeList(this.initState);
      this.initState = list;
      return this;
    }
    const rec = this.records[step];
    if (step !== this.step - 1 || !rec) throw new ModuleError(this.path(), 'can only set the initial or the last state');
    if (!list) throw new ModuleError(this.path(), 'state expected');
    disposeList(rec.state);
    rec.state = list;
    return this;
  }

  /** The last step's hidden state h (a tensor owned by the module). */
  get hiddenState(): Tensor {
    const s = this.getHiddenState();
    return isTensor(s) ? s : (s[0] as Tensor);
  }

  /**
   * Gradient w.r.t. the initial state (step −1) after BPTT went through step 0
   * (`[dh, dc]` for LSTMs), or null.
   */
  getGradHiddenState(step = -1): Activity | null {
    if (step !== -1) throw new ModuleError(this.path(), "only the initial state's gradient (step -1) is kept");
    return this.gradInit ? this.exposeState(this.gradInit) : null;
  }

  /** Adds a gradient w.r.t. the state after the last step, used when BPTT starts (copied). */
  setGradHiddenState(step: number, grad: Activity | null): this {
    if (grad !== null && step !== this.step - 1) throw new ModuleError(this.path(), `the gradient can only be set for the last step (${this.step - 1})`);
    disposeList(this.gradFinal);
    this.gradFinal = grad === null ? null : flattenActivity(grad).map((t) => t.clone());
    return this;
  }

  // ------------------------------------------------------------ description

  /**
   * A spec from the constructor's arguments, with `maskZero: nInputDim` when
   * masking is on. Subclasses override `toSpec()` with it, passing their
   * constructor's arguments (wrapped modules as nested specs; modules the
   * constructor builds itself are left out, never `children`).
   */
  protected recurrentSpec(args: unknown[], options: Record<string, unknown> = {}): ModuleSpec {
    return specOf(this.typeName, args, { ...options, maskZero: this.maskzero ? this.nInputDim : undefined });
  }

  // --------------------------------------------------------------- lifetime

  override clearState(): this {
    this.forget();
    return super.clearState();
  }

  override dispose(): void {
    this.forget();
    disposeList(this.initState);
    this.initState = null;
    super.dispose();
  }

  override training(): this {
    if (!this.train) this.forget();
    return super.training();
  }

  override evaluate(): this {
    if (this.train) this.forget();
    return super.evaluate();
  }

  override toString(): string {
    const self = this as unknown as { inputSize?: number; outputSize?: number };
    if (self.inputSize !== undefined && self.outputSize !== undefined) return `nn.${this.typeName}(${self.inputSize} -> ${self.outputSize})`;
    return `nn.${this.typeName}`;
  }
}

/** Calls forget() on every AbstractRecurrent/sequencer in a subtree. */
export function forgetAll(m: Module): void {
  const f = (m as unknown as { forget?: () => unknown }).forget;
  if (typeof f === 'function') f.call(m);
  else for (const c of m.children()) forgetAll(c);
}

export function disposeRecord(r: StepRecord): void {
  r.extra?.dispose();
  disposeActivity([
    r.output,
    ...r.state,
    ...r.prevState,
    ...r.cache,
    ...(r.mask ? [r.mask] : []),
    ...(r.paramGrads ?? []),
    ...(r.gradInput ? [r.gradInput] : []),
  ]);
}
