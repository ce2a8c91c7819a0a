import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, disposeActivity, isTensor } from '../util/activity';
import { Container } from '../nn/Container';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import type { Module, StateDict } from '../nn/Module';
import { FastLSTM } from './FastLSTM';
import { GRU } from './GRU';
import { LSTM } from './LSTM';
import { Recursor } from './Recursor';
import { givenSpec, Sequencer } from './Sequencer';
import { reverseSteps, StepCache, splitSteps, stackSteps } from './sequence';

/** Torch's `nn.JoinTable(1, 1)` for BiSequencer: concatenates a table along the last dimension. */
class JoinLast extends Container {
  readonly typeName = 'JoinTable';
  protected override ownsBuffers = true;
  protected compute(input: Activity): Tensor {
    return tf.concat(input as Tensor[], -1);
  }
}

/**
 * rnn's `nn.BiSequencer(forward, backward = forward:clone():reset(), merge = JoinTable)`:
 * runs `forward` over the sequence and `backward` over the reversed sequence
 * (each in a Sequencer), then merges the two outputs of each step, by default
 * concatenating them along the feature (last) dimension.
 *
 * Shapes: input a table of T steps [N, F] or a [T, N, F] tensor; output of
 * the same kind, [N, Hf + Hb] per step with the default merge.
 *
 * State dict: when both directions are FastLSTM, LSTM or GRU and the merge
 * has no parameters, the keys are PyTorch's bidirectional ones
 * (`weight_ih_l0` … and `weight_ih_l0_reverse` …), so a PyTorch
 * `nn.LSTM(bidirectional=True)` / `nn.GRU(bidirectional=True)` state dict
 * loads directly. Otherwise the children's keys (`0.…`, `1.…`, `2.…`).
 */
export class BiSequencer extends Container {
  readonly typeName: string = 'BiSequencer';
  readonly fwdSeq: Sequencer;
  readonly bwdSeq: Sequencer;
  readonly mergeSeq: Sequencer;
  private stacked: Tensor[] = [];
  private zipped: Activity[] = [];
  private readonly stepCache = new StepCache();

  constructor(
    readonly forwardModule: Module,
    backwardModule?: Module,
    merge?: Module,
  ) {
    super();
    const bwd = backwardModule ?? forwardModule.clone().reset();
    this.fwdSeq = new Sequencer(forwardModule);
    this.bwdSeq = new Sequencer(bwd);
    this.mergeSeq = new Sequencer(merge ?? new JoinLast());
    this.add(this.fwdSeq);
    this.add(this.bwdSeq);
    this.add(this.mergeSeq);
  }

  /**
   * `args: [forward, backward, merge]`: the backward module is always written
   * out (the default is a reset copy of forward, which this rebuilds the same),
   * the default merge is left out.
   */
  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [
      givenSpec(this.fwdSeq.module),
      givenSpec(this.bwdSeq.module),
      this.defaultMerge ? undefined : givenSpec(this.mergeSeq.module),
    ]);
  }

  /** Whether the merge is the default JoinTable made by the constructor. */
  private get defaultMerge(): boolean {
    const merge = this.mergeSeq.module;
    return merge instanceof Recursor && merge.madeBySequencer && merge.module instanceof JoinLast && !merge.maskzero;
  }

  forget(): this {
    for (const s of [this.fwdSeq, this.bwdSeq, this.mergeSeq]) s.forget();
    return this;
  }

  protected compute(input: Activity): Activity {
    // Both directions as whole-sequence ops where the cells have them (FastLSTM).
    if (isTensor(input) && this.defaultMerge) {
      const f = this.fwdSeq.module.unrollTensor(input, false);
      const b = f && this.bwdSeq.module.unrollTensor(input, true);
      if (f && b) return tf.concat([f, b], -1);
    }
    const { steps } = splitSteps(input, this.path());
    const fo = this.fwdSeq.apply(steps) as Activity[];
    const bo = reverseSteps(this.bwdSeq.apply(reverseSteps(steps)) as Activity[]);
    const out = this.mergeSeq.apply(fo.map((f, t) => [f, bo[t]])) as Activity[];
    return isTensor(input) ? stackSteps(out, this.path()) : out;
  }

  override updateOutput(input: Activity): Activity {
    const xs = this.stepCache.of(input, this.path());
    const fo = this.fwdSeq.updateOutput(xs) as Activity[];
    const bo = reverseSteps(this.bwdSeq.updateOutput(reverseSteps(xs)) as Activity[]);
    this.zipped = fo.map((f, t) => [f, bo[t]]);
    const out = this.mergeSeq.updateOutput(this.zipped) as Activity[];
    disposeActivity(this.stacked);
    this.stacked = [];
    if (isTensor(input)) {
      const y = stackSteps(out, this.path());
      this.stacked.push(y);
      this.output = y;
    } else this.output = out;
    return this.output;
  }

  private bwd(input: Activity, gradOutput: Activity, scale: number, mode: 'input' | 'params' | 'both'): Activity {
    const xs = this.stepCache.of(input, this.path());
    const rx = reverseSteps(xs);
    const { steps: gys, owned } = splitSteps(gradOutput, this.path());
    let result: Activity = [];
    const run = (s: Sequencer, x: Activity, g: Activity): Activity => {
      if (mode === 'both') return s.backward(x, g, scale);
      if (mode === 'input') return s.updateGradInput(x, g);
      s.accGradParameters(x, g, scale);
      return s.gradInput;
    };
    // the merge's gradInput is needed for the directions' gradOutputs in every mode
    const gz = (mode === 'params' ? this.mergeSeq.gradInput : run(this.mergeSeq, this.zipped, gys)) as Activity[];
    if (mode === 'params') this.mergeSeq.accGradParameters(this.zipped, gys, scale);
    const gf = gz.map((p) => (p as Activity[])[0]);
    const gb = reverseSteps(gz.map((p) => (p as Activity[])[1]));
    const gxf = run(this.fwdSeq, xs, gf) as Tensor[];
    const gxb = reverseSteps(run(this.bwdSeq, rx, gb) as Tensor[]);
    if (mode !== 'params') {
      const sums = tf.tidy(() => gxf.map((g, t) => g.add(gxb[t])));
      if (isTensor(input)) {
        result = tf.stack(sums);
        disposeActivity(sums);
      } else result = sums;
      disposeActivity(this.gradInput);
      this.gradInput = result;
    }
    for (const t of owned) t.dispose();
    return this.gradInput;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    return this.bwd(input, gradOutput, 1, 'input');
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    this.bwd(input, gradOutput, scale, 'params');
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    return this.bwd(input, gradOutput, scale, 'both');
  }

  // ----------------------------------------------- PyTorch bidirectional keys

  /** The two cells when the state dict uses PyTorch's bidirectional keys. */
  private torchPair(): [Module, Module] | null {
    const isCell = (m: Module) => m instanceof FastLSTM || m instanceof GRU || m instanceof LSTM;
    const f = this.fwdSeq.module;
    const b = this.bwdSeq.module;
    const mergeParams = this.mergeSeq.parameters()[0].length;
    return isCell(f) && isCell(b) && f.typeName === b.typeName && mergeParams === 0 ? [f, b] : null;
  }

  private mapped(prefix: string, f: (m: Module, p: string) => Record<string, unknown>): Record<string, unknown> {
    const pair = this.torchPair()!;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(f(pair[0], ''))) out[prefix + k] = v;
    for (const [k, v] of Object.entries(f(pair[1], ''))) out[`${prefix}${k}_reverse`] = v;
    return out;
  }

  override stateDict(prefix = ''): StateDict {
    if (!this.torchPair()) return super.stateDict(prefix);
    return this.mapped(prefix, (m, p) => m.stateDict(p)) as StateDict;
  }

  override gradStateDict(prefix = ''): StateDict {
    if (!this.torchPair()) return super.gradStateDict(prefix);
    return this.mapped(prefix, (m, p) => m.gradStateDict(p)) as StateDict;
  }

  override stateShapes(prefix = ''): Map<string, number[]> {
    if (!this.torchPair()) return super.stateShapes(prefix);
    const out = new Map<string, number[]>();
    const [f, b] = this.torchPair()!;
    f.stateShapes().forEach((v, k) => out.set(prefix + k, v));
    b.stateShapes().forEach((v, k) => out.set(`${prefix}${k}_reverse`, v));
    return out;
  }

  /**
   * PyTorch's bidirectional keys reach the two cells here: loadStateDict
   * (and a parent container's load) calls this with the prefix of this module.
   */
  protected override loadOwnState(dict: StateDict, prefix: string): void {
    const pair = this.torchPair();
    if (!pair) {
      super.loadOwnState(dict, prefix);
      return;
    }
    const pick = (suffix: string, m: Module) => {
      const sub: StateDict = {};
      for (const k of m.stateShapes().keys()) if (`${prefix}${k}${suffix}` in dict) sub[k] = dict[`${prefix}${k}${suffix}`];
      m.loadStateDict(sub, { strict: false });
    };
    pick('', pair[0]);
    pick('_reverse', pair[1]);
  }

  override clearState(): this {
    disposeActivity(this.stacked);
    this.stacked = [];
    this.stepCache.clear();
    disposeActivity(this.gradInput);
    this.gradInput = [];
    return super.clearState();
  }

  override toString(): string {
    return `nn.BiSequencer @ ${this.fwdSeq.toString()}`;
  }
}
