import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, disposeActivity, flattenActivity, isTensor, unflattenActivity } from '../util/activity';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { checkStateDict, type LoadStateDictOptions } from '../io/stateDict';
import { ModuleError, ShapeError } from '../util/errors';
import { accumulateGrad, zeroGradBuffer } from '../util/gradBuffers';

/** A trainable tensor and the buffer its gradients accumulate into. */
export interface Parameter {
  /** Torch's field name, which is also PyTorch's state-dict key: `weight`, `bias`. */
  name: string;
  value: Variable;
  grad: Variable;
}

/** A dimension in an expected shape: a size, or a name that matches any size. */
export type Dim = number | string;

export type StateDict = Record<string, Tensor>;

/**
 * Torch7's `nn.Module`.
 *
 * A module maps an input activity to `output` and, going back, a gradient
 * with respect to its output to `gradInput`, accumulating parameter gradients
 * into `gradWeight`-style buffers as Torch does.
 *
 * Subclasses implement `compute(input)`, a pure tfjs function. From it this
 * class derives the Torch methods: `updateOutput` keeps the result as
 * `output`; `updateGradInput`, `accGradParameters` and `backward` take a
 * vector-Jacobian product of `compute` with tfjs autodiff. Modules whose
 * forward is random (Dropout) or whose backward has a cheaper closed form
 * override those.
 *
 * Buffers: like Torch, `output` and `gradInput` are reused storage. The
 * tensors a module creates are disposed at its next forward (or backward),
 * so copy them (`t.clone()`) to keep them across steps. Tensors it was given
 * are never disposed, even when `compute` returns its input (or a tensor of
 * an input table) unchanged, or its gradient is `gradOutput` itself.
 */
export abstract class Module {
  /** Torch's class name without `nn.`, used in printing and error paths. */
  abstract readonly typeName: string;

  output: Activity = [];
  gradInput: Activity = [];
  /** True in training mode (Torch's `self.train`). */
  train = true;
  /** The container holding this module; containers set it. */
  parent: Module | null = null;

  protected params: Parameter[] = [];
  /** Non-trainable state saved in the state dict (BatchNorm's running stats). */
  protected buffers: { name: string; value: Variable }[] = [];
  /** Set while `compute` is re-run to take gradients: no side effects then. */
  protected recomputing = false;
  /**
   * Whether `output`/`gradInput` are this module's own tensors. Containers
   * only pass their children's along, so they never free them.
   */
  protected ownsBuffers = true;
  /**
   * The tensors of `output` / `gradInput` that are the caller's, not this
   * module's (its input, or the gradOutput, passed through): never freed here.
   */
  private borrowedOutput: Tensor[] = [];
  private borrowedGradInput: Tensor[] = [];

  // ---------------------------------------------------------------- forward

  /** Pure forward with input checks; errors name this module's path. */
  apply(input: Activity): Activity {
    this.checkInput(input);
    try {
      return this.compute(input);
    } catch (e) {
      throw this.wrapError(e);
    }
  }

  protected abstract compute(input: Activity): Activity;

  /** Throws a ShapeError when the input cannot be right. */
  protected checkInput(_input: Activity): void {}

  forward(input: Activity): Activity {
    return this.updateOutput(input);
  }

  updateOutput(input: Activity): Activity {
    const out = tf.tidy(() => this.apply(input) as tf.TensorContainer) as Activity;
    const xs = flattenActivity(input);
    const outs = flattenActivity(out);
    disposeActivity(this.output, [...outs, ...xs, ...this.borrowedOutput]);
    this.output = out;
    this.borrowedOutput = outs.filter((t) => xs.includes(t));
    return out;
  }

  // --------------------------------------------------------------- backward

  updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const { gradInput } = this.vjp(input, gradOutput, true, false);
    return this.setGradInput(gradInput!, input, gradOutput);
  }

  accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    if (this.params.length === 0) return;
    const { paramGrads } = this.vjp(input, gradOutput, false, true);
    this.accumulate(paramGrads!, scale);
  }

  /** `updateGradInput` then `accGradParameters`, in one gradient pass. */
  backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const { gradInput, paramGrads } = this.vjp(input, gradOutput, true, this.params.length > 0);
    if (paramGrads) this.accumulate(paramGrads, scale);
    return this.setGradInput(gradInput!, input, gradOutput);
  }

  /**
   * Replaces `gradInput`, freeing the old one's tensors that this module made
   * (not those of the input or gradOutput it was given, then or now).
   */
  protected setGradInput(gradInput: Activity, input: Activity, gradOutput: Activity): Activity {
    const given = [...flattenActivity(gradOutput), ...flattenActivity(input)];
    const gs = flattenActivity(gradInput);
    disposeActivity(this.gradInput, [...gs, ...given, ...this.borrowedGradInput]);
    this.gradInput = gradInput;
    this.borrowedGradInput = gs.filter((t) => given.includes(t));
    return gradInput;
  }

  /** gradients += scale * g, in the order of `this.params`. */
  protected accumulate(grads: Tensor[], scale: number): void {
    tf.tidy(() => {
      this.params.forEach((p, i) => accumulateGrad(p.grad, grads[i]!, scale));
    });
    for (const g of grads) g.dispose();
  }

  /**
   * Vector-Jacobian product of `compute` at `input` with `gradOutput`, with
   * respect to the float tensors of the input and/or the parameters.
   */
  protected vjp(input: Activity, gradOutput: Activity, wantInput: boolean, wantParams: boolean): { gradInput?: Activity; paramGrads?: Tensor[] } {
    const xs = flattenActivity(input);
    const floatXs = wantInput ? xs.filter((x) => x.dtype === 'float32') : [];
    const ps = wantParams ? this.params.map((p) => p.value) : [];
    const wrt = [...floatXs, ...ps];
    const grads = tf.tidy(() => {
      if (wrt.length === 0) return [] as Tensor[];
      const dyTensor = isTensor(gradOutput) ? gradOutput : undefined;
      const f = (): Tensor => {
        this.recomputing = true;
        try {
          const out = this.compute(input);
          if (dyTensor) return out as Tensor;
          // A table output: the VJP is the gradient of <output, gradOutput>.
          const outs = flattenActivity(out);
          const dys = flattenActivity(gradOutput);
          return tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, dys[i]))));
        } finally {
          this.recomputing = false;
        }
      };
      const { value, grads } = tf.engine().gradients(f, wrt, dyTensor, true);
      // compute may have returned (a tensor of) its input unchanged: that is the caller's
      if (!xs.includes(value)) value.dispose();
      return grads.map((g, i) => g ?? tf.zerosLike(wrt[i]));
    });
    const result: { gradInput?: Activity; paramGrads?: Tensor[] } = {};
    if (wantInput) {
      let k = 0;
      const flat = xs.map((x) => (x.dtype === 'float32' ? grads[k++] : tf.zeros(x.shape)));
      result.gradInput = unflattenActivity(input, flat);
    }
    if (wantParams) result.paramGrads = grads.slice(floatXs.length);
    return result;
  }

  // ------------------------------------------------------------- parameters

  /** Direct children; containers override. */
  children(): Module[] {
    return [];
  }

  /** This module's own parameters, then its children's. */
  namedParameters(prefix = ''): { key: string; param: Parameter }[] {
    const out = this.params.map((param) => ({ key: prefix + param.name, param }));
    this.children().forEach((c, i) => out.push(...c.namedParameters(`${prefix}${i}.`)));
    return out;
  }

  /** Torch's `parameters()`: `[weights, gradWeights]`, each shared tensor once. */
  parameters(): [Variable[], Variable[]] {
    const seen = new Set<Variable>();
    const ws: Variable[] = [];
    const gs: Variable[] = [];
    for (const { param } of this.namedParameters()) {
      if (seen.has(param.value)) continue;
      seen.add(param.value);
      ws.push(param.value);
      gs.push(param.grad);
    }
    return [ws, gs];
  }

  zeroGradParameters(): void {
    tf.tidy(() => {
      for (const g of this.parameters()[1]) zeroGradBuffer(g);
    });
  }

  /** Plain SGD step: `weight -= learningRate * gradWeight`. */
  updateParameters(learningRate: number): void {
    const [ws, gs] = this.parameters();
    tf.tidy(() => ws.forEach((w, i) => w.assign(w.sub(gs[i].mul(learningRate)))));
  }

  /** Re-initialises the parameters the way Torch's constructor does. */
  reset(): this {
    for (const c of this.children()) c.reset();
    return this;
  }

  training(): this {
    this.train = true;
    for (const c of this.children()) c.training();
    return this;
  }

  evaluate(): this {
    this.train = false;
    for (const c of this.children()) c.evaluate();
    return this;
  }

  // ---------------------------------------------------------------- helpers

  /** Declares a parameter with a zeroed gradient buffer. */
  protected addParameter(name: string, value: Tensor): Parameter {
    const zeros = tf.zerosLike(value);
    const p: Parameter = {
      name,
      value: tf.variable(value, true),
      grad: tf.variable(zeros, false),
    };
    value.dispose();
    zeros.dispose();
    this.params.push(p);
    return p;
  }

  /**
   * Overwrites a variable with a freshly drawn tensor (initialisation),
   * freeing the draw: `assign` shares its storage but not its handle.
   */
  protected fill(v: Variable, draw: () => Tensor): void {
    tf.tidy(() => v.assign(draw()));
  }

  protected addBuffer(name: string, value: Tensor): Variable {
    const v = tf.variable(value, false);
    value.dispose();
    this.buffers.push({ name, value: v });
    return v;
  }

  protected param(name: string): Parameter | undefined {
    return this.params.find((p) => p.name === name);
  }

  // ----------------------------------------------------------------- paths

  /** Where this module sits, e.g. `Sequential.Sequential(1).SpatialConvolution(3)`. */
  path(): string {
    if (!this.parent) return this.typeName;
    const i = this.parent.children().indexOf(this);
    return `${this.parent.path()}.${this.typeName}(${i + 1})`;
  }

  protected wrapError(e: unknown): Error {
    if (e instanceof ShapeError || e instanceof ModuleError) return e;
    return new ModuleError(this.path(), e);
  }

  /**
   * Checks a tensor against one or more shape patterns, e.g.
   * `[['N', 20], [20]]`, and throws a ShapeError naming this module if none fits.
   */
  protected expectShape(x: Activity, patterns: Dim[][], what = ''): Tensor {
    const show = (p: Dim[]) => `[${p.join(',')}]`;
    const expected = patterns.map(show).join(' or ') + (what ? ` (${what})` : '');
    if (!isTensor(x)) throw new ShapeError(this.path(), expected, `a table ${describeActivity(x)}`);
    const fits = (p: Dim[]) => p.length === x.rank && p.every((d, i) => typeof d === 'string' || d === x.shape[i]);
    if (!patterns.some(fits)) throw new ShapeError(this.path(), expected, show(x.shape));
    return x;
  }

  // ------------------------------------------------------------ state dict

  /**
   * PyTorch's `state_dict()`: keys like `0.weight`, `3.running_mean`, values
   * in PyTorch's layouts. The tensors are new; the caller disposes them.
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    for (const [k, v] of this.ownState()) out[prefix + k] = v;
    this.children().forEach((c, i) => Object.assign(out, c.stateDict(`${prefix}${i}.`)));
    return out;
  }

  /**
   * The accumulated parameter gradients under the same keys and layouts as
   * `stateDict()` (PyTorch's `p.grad` for each named parameter).
   */
  gradStateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    for (const p of this.params) out[prefix + p.name] = this.toTorchLayout(p.name, p.grad);
    this.children().forEach((c, i) => Object.assign(out, c.gradStateDict(`${prefix}${i}.`)));
    return out;
  }

  /** This module's own entries in PyTorch layout; override to convert layouts. */
  protected ownState(): [string, Tensor][] {
    return [
      ...this.params.map((p) => [p.name, this.toTorchLayout(p.name, p.value)] as [string, Tensor]),
      ...this.buffers.map((b) => [b.name, this.toTorchLayout(b.name, b.value)] as [string, Tensor]),
    ];
  }

  /** Our tensor → PyTorch's layout (a copy). Identity unless overridden. */
  protected toTorchLayout(_name: string, t: Tensor): Tensor {
    return t.clone();
  }

  /** PyTorch's layout → ours (a new tensor). Identity unless overridden. */
  protected fromTorchLayout(_name: string, t: Tensor): Tensor {
    return t.clone();
  }

  /** Shapes the state dict expects, in PyTorch layout, without copying data. */
  stateShapes(prefix = ''): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const { name, value } of [...this.params, ...this.buffers]) {
      const t = this.toTorchLayout(name, value);
      out.set(prefix + name, t.shape);
      t.dispose();
    }
    this.children().forEach((c, i) => c.stateShapes(`${prefix}${i}.`).forEach((v, k) => out.set(k, v)));
    return out;
  }

  /**
   * PyTorch's `load_state_dict`. With `strict` (the default) every key must
   * be present and none extra; shapes and dtypes must always match (an int32
   * or bool tensor is never cast into a float parameter), and every value the
   * model uses must be a live tensor. With `checkFinite`, NaN or infinite
   * values are rejected too. All problems are reported together in one
   * StateDictError (a StateDictValueError) naming the keys, and nothing is
   * loaded when any is found: the load is all-or-nothing.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): this {
    // Our own state in PyTorch layout: the keys, shapes and dtypes to check
    // against, and the copy to restore should assigning fail half-way (in a
    // tidy, so that the copies are freed should a broken child throw).
    const current = tf.tidy(() => this.stateDict());
    try {
      checkStateDict(dict, current, options);
      try {
        this.loadOwnState(dict, '');
      } catch (e) {
        try {
          this.loadOwnState(current, '');
        } catch {
          /* report the first failure */
        }
        throw e;
      }
    } finally {
      for (const t of Object.values(current)) t.dispose();
    }
    return this;
  }

  protected loadOwnState(dict: StateDict, prefix: string): void {
    for (const { name, value } of [...this.params, ...this.buffers]) {
      const t = dict[prefix + name];
      if (!t) continue;
      tf.tidy(() => {
        const ours = this.fromTorchLayout(name, t);
        value.assign(ours.dtype === value.dtype ? ours : ours.cast(value.dtype));
      });
    }
    this.children().forEach((c, i) => c.loadOwnState(dict, `${prefix}${i}.`));
  }

  // -------------------------------------------------------------- lifetime

  /** Frees `output` and `gradInput` (Torch's `clearState`). */
  clearState(): this {
    if (this.ownsBuffers) {
      disposeActivity(this.output, this.borrowedOutput);
      disposeActivity(this.gradInput, this.borrowedGradInput);
    }
    this.output = [];
    this.gradInput = [];
    this.borrowedOutput = [];
    this.borrowedGradInput = [];
    for (const c of this.children()) c.clearState();
    return this;
  }

  /** Frees every tensor this module holds. The module is unusable afterwards. */
  dispose(): void {
    this.clearState();
    for (const p of this.params) {
      release(p.value);
      release(p.grad);
    }
    for (const b of this.buffers) release(b.value);
    for (const c of this.children()) c.dispose();
  }

  /**
   * Torch's `share(other, 'weight', 'bias', …)`: this module uses the same
   * tensors as `other` for the named parameters (`gradWeight`-style names
   * share gradient buffers), recursively through containers.
   */
  share(other: Module, ...names: string[]): this {
    for (const n of names) {
      const gradOf = /^grad([A-Z].*)$/.exec(n);
      const pname = gradOf ? gradOf[1][0].toLowerCase() + gradOf[1].slice(1) : n;
      const mine = this.params.find((p) => p.name === pname);
      const theirs = other.params.find((p) => p.name === pname);
      if (mine && theirs) {
        const field = gradOf ? 'grad' : 'value';
        if (mine[field] !== theirs[field]) {
          release(mine[field]);
          mine[field] = retain(theirs[field]);
        }
        continue;
      }
      const myBuf = this.buffers.find((b) => b.name === n);
      const theirBuf = other.buffers.find((b) => b.name === n);
      if (myBuf && theirBuf && myBuf.value !== theirBuf.value) {
        release(myBuf.value);
        myBuf.value = retain(theirBuf.value);
      }
    }
    const mine = this.children();
    const theirs = other.children();
    mine.forEach((c, i) => theirs[i] && c.share(theirs[i], ...names));
    return this;
  }

  /**
   * A deep copy, as Torch's `clone()`; with names, the copy then shares those
   * parameters with this module (`clone('weight', 'bias')`).
   */
  clone(...shareNames: string[]): this {
    const copy = deepCopy(this, new Map<unknown, unknown>([[this.parent, null]])) as this;
    if (shareNames.length) copy.share(this, ...shareNames);
    return copy;
  }

  // ------------------------------------------------------------ description

  /**
   * This module's architecture as JSON (no weights): `{ type, args, ...settings }`,
   * which `moduleFromSpec` (src/io/spec.ts) builds again. The default suits a
   * module without constructor arguments or settings; others override, e.g.
   * `return specOf(this.typeName, [this.inputSize, this.outputSize])`.
   */
  toSpec(): ModuleSpec {
    return specOf(this.typeName);
  }

  /** Torch's printing: `nn.Linear(10 -> 20)`. Leaves override. */
  toString(): string {
    return `nn.${this.typeName}`;
  }
}

/**
 * Extra owners of variables shared between modules (`share`, `clone(names)`):
 * a shared variable is freed when its last owner is disposed.
 */
const extraOwners = new WeakMap<Variable, number>();

function retain(v: Variable): Variable {
  extraOwners.set(v, (extraOwners.get(v) ?? 0) + 1);
  return v;
}

function release(v: Variable): void {
  const n = extraOwners.get(v) ?? 0;
  if (n > 0) extraOwners.set(v, n - 1);
  else if (!v.isDisposed) v.dispose();
}

/** A module's fields that the copy starts empty: its buffers and what they borrow. */
const BUFFER_FIELDS = new Set(['output', 'gradInput', 'borrowedOutput', 'borrowedGradInput']);

/**
 * Copies a module graph field by field, as Torch's clone does through
 * serialisation: variables get new storage, `output`/`gradInput` start empty,
 * and objects reached twice stay shared within the copy.
 */
function deepCopy(value: unknown, memo: Map<unknown, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (memo.has(value)) return memo.get(value);
  if (value instanceof tf.Variable) {
    const v = tf.variable(value, value.trainable);
    memo.set(value, v);
    return v;
  }
  if (value instanceof tf.Tensor) {
    // State of the last forward that an outer tf.tidy freed (a recurrent step's
    // records): dead in the original, so the copy keeps the same dead handle.
    if (value.isDisposed) return value;
    const t = value.clone();
    memo.set(value, t);
    return t;
  }
  if (Array.isArray(value)) {
    const arr: unknown[] = [];
    memo.set(value, arr);
    for (const x of value) arr.push(deepCopy(x, memo));
    return arr;
  }
  if (value instanceof Map) {
    const m = new Map();
    memo.set(value, m);
    for (const [k, v] of value) m.set(k, deepCopy(v, memo));
    return m;
  }
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  memo.set(value, copy);
  const isModule = value instanceof Module;
  for (const [k, v] of Object.entries(value)) {
    copy[k] = isModule && BUFFER_FIELDS.has(k) ? [] : deepCopy(v, memo);
  }
  return copy;
}
