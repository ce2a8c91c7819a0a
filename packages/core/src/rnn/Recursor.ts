import type { Tensor } from '@tensorflow/tfjs-core';
import type { ModuleSpec } from '../util/moduleSpec';
import { tf } from '../tf';
import { type Activity, disposeActivity, flattenActivity, mapActivity } from '../util/activity';
import type { Module } from '../nn/Module';
import { AbstractRecurrent, type StepRecord } from './AbstractRecurrent';
import { maskShape } from './mask';
import { cloneActivity } from './sequence';
import { ModuleError } from '../util/errors';

type Field = 'output' | 'gradInput';

/**
 * Copies of the `output` (or `gradInput`) of every module in a subtree at one
 * time step, so that a later backward through that step sees them again
 * (what rnn's Recursor gets from one step clone per time step). Recurrent
 * modules inside keep their own history, so the walk stops at them.
 */
class Snapshot {
  private entries: { m: Module; value: Activity; owns: boolean }[] = [];
  private copies = new Map<Tensor, Tensor>();

  constructor(root: Module, field: Field) {
    const visit = (m: Module) => {
      const copy = (t: Tensor) => {
        let c = this.copies.get(t);
        if (!c) this.copies.set(t, (c = t.clone()));
        return c;
      };
      this.entries.push({ m, value: mapActivity(m[field], copy), owns: ownsBuffers(m) });
      if (!(m instanceof AbstractRecurrent)) for (const c of m.children()) visit(c);
    };
    visit(root);
  }

  /**
   * Puts the saved values back (as fresh copies the modules may free). The
   * modules' current buffers are freed, except `protect`ed tensors; copies no
   * owning module holds are added to `orphans` for the caller to free.
   */
  restore(field: Field, protect: Set<Tensor>, orphans: Tensor[]): void {
    const fresh = new Map<Tensor, Tensor>();
    const ordered = [...this.entries.filter((e) => e.owns), ...this.entries.filter((e) => !e.owns)];
    for (const e of ordered) {
      if (e.owns) for (const t of flattenActivity(e.m[field])) if (!protect.has(t) && !t.isDisposed) t.dispose();
      e.m[field] = mapActivity(e.value, (t) => {
        let f = fresh.get(t);
        if (!f) {
          f = t.clone();
          fresh.set(t, f);
          if (!e.owns) orphans.push(f);
        }
        return f;
      });
    }
  }

  dispose(): void {
    for (const c of this.copies.values()) c.dispose();
    this.copies.clear();
  }
}

function ownsBuffers(m: Module): boolean {
  return (m as unknown as { ownsBuffers?: boolean }).ownsBuffers !== false;
}

class StepSnapshots {
  out?: Snapshot;
  grad?: Snapshot;
  dispose(): void {
    this.out?.dispose();
    this.grad?.dispose();
  }
}

/**
 * rnn's `nn.Recursor(module, rho)`: makes any module usable one time step at a
 * time with online BPTT, like an AbstractRecurrent. Each forward saves the
 * step's activations of the module's tree; each backward (called in reverse
 * order of time, as for any AbstractRecurrent) puts them back first, so
 * containers holding recurrent modules (`Sequential(FastLSTM, Linear)`)
 * backpropagate through time correctly. Sequencer wraps non-recurrent
 * modules in one.
 *
 * Limitation: only `output`/`gradInput` are saved per step, so a module
 * keeping other per-forward state (Dropout's mask) uses its last one.
 */
export class Recursor extends AbstractRecurrent {
  readonly typeName: string = 'Recursor';
  private orphans: Tensor[] = [];
  private made = false;

  constructor(
    readonly module: Module,
    rho = 9999,
  ) {
    super(rho);
    this.add(module);
  }

  /** The Recursor a sequencer puts around a non-recurrent module. */
  static around(module: Module): Recursor {
    const r = new Recursor(module);
    r.made = true;
    return r;
  }

  /** True when a Sequencer or Repeater made this Recursor around a non-recurrent module (its spec then leaves it out). */
  get madeBySequencer(): boolean {
    return this.made;
  }

  override toSpec(): ModuleSpec {
    return this.recurrentSpec([this.module.toSpec(), this.rho]);
  }

  protected zeroState(): Tensor[] {
    return [];
  }

  protected override needsCache(): boolean {
    return false;
  }

  protected compute(input: Activity): Activity {
    return this.module.apply(input);
  }

  override unroll(xs: Activity[]): Activity[] {
    return xs.map((x) => this.module.apply(x));
  }

  protected stepForward(input: Activity, _prev: Tensor[], _step: number, keep: boolean) {
    const y = this.module.updateOutput(input);
    let extra: StepSnapshots | undefined;
    if (keep) {
      extra = new StepSnapshots();
      extra.out = new Snapshot(this.module, 'output');
    }
    return { output: cloneActivity(y), state: [], cache: [], extra };
  }

  protected stepBackward(): never {
    throw new Error('unreachable');
  }

  private snaps(rec: StepRecord): StepSnapshots {
    const s = rec.extra as StepSnapshots | undefined;
    if (!s?.out) throw new ModuleError(this.path(), 'step was run in evaluation mode');
    return s;
  }

  private freeOrphans(): void {
    for (const t of this.orphans) if (!t.isDisposed) t.dispose();
    this.orphans = [];
  }

  private restore(rec: StepRecord, fields: Field[], input: Activity, gradOutput: Activity): void {
    const s = this.snaps(rec);
    const protect = new Set([...flattenActivity(input), ...flattenActivity(gradOutput)]);
    const orphans: Tensor[] = [];
    for (const f of fields) {
      const snap = f === 'output' ? s.out : s.grad;
      if (!snap) throw new ModuleError(this.path(), 'call updateGradInput before accGradParameters');
      snap.restore(f, protect, orphans);
    }
    this.freeOrphans();
    this.orphans = orphans;
  }

  private masked(rec: StepRecord, gradOutput: Activity): { gy: Activity; temp: Tensor[] } {
    if (!rec.mask) return { gy: gradOutput, temp: [] };
    const m = rec.mask;
    const gy = tf.tidy(() => mapActivity(gradOutput, (g) => g.mul(m.reshape(maskShape(m, g)))) as tf.TensorContainer) as Activity;
    return { gy, temp: flattenActivity(gy) };
  }

  private setStepGrad(rec: StepRecord, gi: Activity): Activity {
    disposeActivity(rec.gradInput);
    rec.gradInput = cloneActivity(gi);
    this.gradInput = rec.gradInput;
    return rec.gradInput;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const t = this.ugiStep ?? this.step - 1;
    const rec = this.recordAt(t, 'updateGradInput');
    this.restore(rec, ['output'], input, gradOutput);
    const { gy, temp } = this.masked(rec, gradOutput);
    const gi = this.module.updateGradInput(input, gy);
    const s = this.snaps(rec);
    s.grad?.dispose();
    s.grad = new Snapshot(this.module, 'gradInput');
    const out = this.setStepGrad(rec, gi);
    for (const x of temp) x.dispose();
    this.ugiStep = t - 1;
    return out;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const t = this.agpStep ?? this.step - 1;
    const rec = this.recordAt(t, 'accGradParameters');
    this.restore(rec, ['output', 'gradInput'], input, gradOutput);
    const { gy, temp } = this.masked(rec, gradOutput);
    this.module.accGradParameters(input, gy, scale);
    for (const x of temp) x.dispose();
    this.agpStep = t - 1;
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const t = this.ugiStep ?? this.step - 1;
    const rec = this.recordAt(t, 'backward');
    this.restore(rec, ['output'], input, gradOutput);
    const { gy, temp } = this.masked(rec, gradOutput);
    const gi = this.module.backward(input, gy, scale);
    const out = this.setStepGrad(rec, gi);
    for (const x of temp) x.dispose();
    this.ugiStep = t - 1;
    this.agpStep = t - 1;
    return out;
  }

  override forget(): this {
    super.forget();
    this.freeOrphans();
    return this;
  }

  override toString(): string {
    return `nn.Recursor @ ${this.module.toString()}`;
  }
}
