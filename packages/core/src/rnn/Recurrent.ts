import type { Tensor } from '@tensorflow/tfjs-core';
import type { ModuleSpec } from '../util/moduleSpec';
import { tf } from '../tf';
import { type Activity, flattenActivity, unflattenActivity } from '../util/activity';
import { nextSeed } from '../util/random';
import { Module } from '../nn/Module';
import { AbstractRecurrent, type StepRecord } from './AbstractRecurrent';

/** Torch's `nn.Add(size)`: a learnt bias (Recurrent's `start` given as a size). */
class StartBias extends Module {
  readonly typeName = 'Add';
  constructor(readonly size: number) {
    super();
    this.addParameter('bias', tf.zeros([size]));
    this.reset();
  }
  override reset(): this {
    const s = 1 / Math.sqrt(this.size);
    this.fill(this.param('bias')!.value, () => tf.randomUniform([this.size], -s, s, 'float32', nextSeed()));
    return this;
  }
  protected compute(input: Activity): Tensor {
    return (input as Tensor).add(this.param('bias')!.value);
  }
  override toString(): string {
    return `nn.Add`;
  }
}

/** Torch's `nn.Sigmoid`, Recurrent's default transfer. */
class DefaultSigmoid extends Module {
  readonly typeName = 'Sigmoid';
  protected compute(input: Activity): Tensor {
    return tf.sigmoid(input as Tensor);
  }
}

/** Torch's `nn.CAddTable`, Recurrent's default merge. */
class DefaultCAddTable extends Module {
  readonly typeName = 'CAddTable';
  protected compute(input: Activity): Tensor {
    return tf.addN(input as Tensor[]);
  }
}

/**
 * rnn's `nn.Recurrent(start, input, feedback, transfer = Sigmoid, rho = 9999, merge = CAddTable)`:
 * h₀ = transfer(start(input(x₀))); hₜ = transfer(merge({input(xₜ), feedback(hₜ₋₁)})).
 * `start` is a module, or a size (then a learnt bias, Torch's `nn.Add(size)`).
 * With an initial state set (`setHiddenState(-1, h)`), step 0 uses the
 * recurrent path from it instead of `start`.
 *
 * Children (state-dict prefixes) in rnn's order: 0 start, 1 input, 2 feedback,
 * 3 transfer, 4 merge. Backward runs tfjs autodiff through the children's
 * `apply` at each step, so they must be pure (no Dropout).
 */
export class Recurrent extends AbstractRecurrent {
  readonly typeName: string = 'Recurrent';
  readonly startModule: Module;
  readonly transferModule: Module;
  readonly mergeModule: Module;

  constructor(
    start: Module | number,
    readonly inputModule: Module,
    readonly feedbackModule: Module,
    transfer?: Module,
    rho = 9999,
    merge?: Module,
  ) {
    super(rho);
    this.startModule = typeof start === 'number' ? new StartBias(start) : start;
    this.transferModule = transfer ?? new DefaultSigmoid();
    this.mergeModule = merge ?? new DefaultCAddTable();
    for (const m of [this.startModule, inputModule, feedbackModule, this.transferModule, this.mergeModule]) this.add(m);
  }

  /**
   * `args: [start, input, feedback, transfer, rho, merge]`: a `start` built
   * from a size is that size, and the default transfer and merge are left out.
   */
  override toSpec(): ModuleSpec {
    const start = this.startModule instanceof StartBias ? this.startModule.size : this.startModule.toSpec();
    const transfer = this.transferModule instanceof DefaultSigmoid ? undefined : this.transferModule.toSpec();
    const merge = this.mergeModule instanceof DefaultCAddTable ? undefined : this.mergeModule.toSpec();
    return this.recurrentSpec([start, this.inputModule.toSpec(), this.feedbackModule.toSpec(), transfer, this.rho, merge]);
  }

  protected override needsCache(): boolean {
    return false;
  }

  protected zeroState(): Tensor[] {
    return [];
  }

  private f(x: Activity, prev: Tensor[]): Tensor {
    const u = this.inputModule.apply(x);
    if (prev.length === 0) return this.transferModule.apply(this.startModule.apply(u)) as Tensor;
    return this.transferModule.apply(this.mergeModule.apply([u, this.feedbackModule.apply(prev[0])])) as Tensor;
  }

  protected compute(input: Activity): Activity {
    const last = this.step > 0 ? this.records[this.step - 1] : undefined;
    return this.f(input, last ? last.state : (this.initState ?? []));
  }

  protected stepForward(input: Activity, prevState: Tensor[]) {
    return tf.tidy(() => {
      const h = this.f(input, prevState);
      return { output: h, state: [h], cache: [] as Tensor[] };
    });
  }

  protected stepBackward(input: Activity, rec: StepRecord, gradOutput: Activity, gradState: Tensor[] | null) {
    const dy = gradState?.[0] ? (gradOutput as Tensor).add(gradState[0]) : (gradOutput as Tensor);
    const xs = flattenActivity(input);
    const floatXs = xs.filter((x) => x.dtype === 'float32');
    const ps = this.gradParams().map((p) => p.value);
    const prev = rec.prevState;
    const wrt = [...floatXs, ...prev, ...ps];
    const { value, grads } = tf.engine().gradients(() => this.f(input, prev), wrt, dy, true);
    value.dispose();
    const g = grads.map((x, i) => x ?? tf.zerosLike(wrt[i]));
    let k = 0;
    const gradInput = unflattenActivity(
      input,
      xs.map((x) => (x.dtype === 'float32' ? g[k++] : tf.zerosLike(x))),
    );
    return {
      gradInput,
      gradPrevState: g.slice(floatXs.length, floatXs.length + prev.length),
      paramGrads: g.slice(floatXs.length + prev.length),
    };
  }

  override toString(): string {
    const rep = (m: Module, pad: string) => m.toString().replace(/\n/g, '\n' + pad);
    let str = 'nn.Recurrent {\n  [{input(t), output(t-1)} -> (1) -> (2) -> (3) -> output(t)]';
    str += '\n  (1):  {\n    input(t)';
    str += '\n      |`-> (t==0): ' + rep(this.startModule, '    |    ');
    str += '\n      |`-> (t~=0): ' + rep(this.inputModule, '    |    ');
    str += '\n    output(t-1)';
    str += '\n      |`-> ' + rep(this.feedbackModule, '      |    ');
    str += '\n  }';
    str += '\n  (2): ' + rep(this.mergeModule, '  ');
    str += '\n  (3): ' + rep(this.transferModule, '  ');
    return str + '\n}';
  }
}
