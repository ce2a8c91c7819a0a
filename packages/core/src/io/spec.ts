/**
 * Building modules and criteria from their JSON descriptions (`toSpec()`):
 *
 *   moduleFromSpec({ type: 'Sequential', children: [
 *     { type: 'SpatialConvolution', args: [1, 8, 3, 3, 1, 1, 1, 1], noBias: true },
 *     { type: 'SpatialMaxPooling', args: [2, 2, 2, 2], ceil: true },
 *   ] })
 *
 * A spec is `{ type, args?, children?, ...settings }`:
 * - `type` is looked up in a registry that holds every module and criterion
 *   of the core (the `builtIns` list below: a class exported from src/index.ts
 *   must be added there, which spec.test.ts checks); packages with their own modules add theirs with
 *   `registerModule('MaskZero', MaskZero)`.
 * - `args` are the constructor's arguments in order (`null` = left out).
 *   An argument that is itself a spec (an object with a string `type`) is
 *   built first.
 * - `children` are built and passed to the constructor after `args`
 *   (`new Concat(dim, ...children)`, `new Sequencer(child)`).
 * - any other key is a setting applied after construction: `k: true` calls
 *   the method `k()` (`ceil`, `noBias`), `k: false` leaves a method uncalled,
 *   `k: v` calls `k(v)`; when `k` is a field it is set to `v`
 *   (`countIncludePad`, `numInputDims`). `train: false` calls `evaluate()`.
 *
 * A class whose description does not fit this rule can define
 * `static fromSpec(spec, build)`; the registry then calls it instead, with
 * `build` making nested specs.
 *
 * The weights are not part of a spec: load them with `loadStateDict`.
 */
import { BahdanauAttention } from '../nn/BahdanauAttention';
import { BCECriterion } from '../nn/BCECriterion';
import { BatchNormalization } from '../nn/BatchNormalization';
import { CAddTable } from '../nn/CAddTable';
import { CMulTable } from '../nn/CMulTable';
import { ClassNLLCriterion } from '../nn/ClassNLLCriterion';
import { Concat } from '../nn/Concat';
import { ConcatTable } from '../nn/ConcatTable';
import { Criterion } from '../nn/Criterion';
import { CTCCriterion } from '../nn/CTCCriterion';
import { CrossEntropyCriterion } from '../nn/CrossEntropyCriterion';
import { Dropout } from '../nn/Dropout';
import { ELU } from '../nn/ELU';
import { FlattenTable } from '../nn/FlattenTable';
import { Identity } from '../nn/Identity';
import { JoinTable } from '../nn/JoinTable';
import { LeakyReLU } from '../nn/LeakyReLU';
import { Linear } from '../nn/Linear';
import { LogSoftMax } from '../nn/LogSoftMax';
import { LookupTable } from '../nn/LookupTable';
import { LuongAttention } from '../nn/LuongAttention';
import { Module } from '../nn/Module';
import { MSECriterion } from '../nn/MSECriterion';
import { MultiCrossEntropyCriterion } from '../nn/MultiCrossEntropyCriterion';
import { NarrowTable } from '../nn/NarrowTable';
import { ParallelTable } from '../nn/ParallelTable';
import { ReLU } from '../nn/ReLU';
import { ResidualDrop } from '../nn/ResidualDrop';
import { Reshape } from '../nn/Reshape';
import { SelectTable } from '../nn/SelectTable';
import { Sequential } from '../nn/Sequential';
import { Sigmoid } from '../nn/Sigmoid';
import { SoftMax } from '../nn/SoftMax';
import { SpatialAveragePooling } from '../nn/SpatialAveragePooling';
import { SpatialBatchNormalization } from '../nn/SpatialBatchNormalization';
import { SpatialConvolution } from '../nn/SpatialConvolution';
import { SpatialDropout } from '../nn/SpatialDropout';
import { SpatialMaxPooling } from '../nn/SpatialMaxPooling';
import { SplitTable } from '../nn/SplitTable';
import { Squeeze } from '../nn/Squeeze';
import { Tanh } from '../nn/Tanh';
import { Transpose } from '../nn/Transpose';
import { Unsqueeze } from '../nn/Unsqueeze';
import { View } from '../nn/View';
import { BiSequencer } from '../rnn/BiSequencer';
import { FastLSTM } from '../rnn/FastLSTM';
import { GRU } from '../rnn/GRU';
import { LookupTableMaskZero } from '../rnn/LookupTableMaskZero';
import { LSTM } from '../rnn/LSTM';
import { MaskZero } from '../rnn/MaskZero';
import { Recurrent } from '../rnn/Recurrent';
import { Recursor } from '../rnn/Recursor';
import { Repeater } from '../rnn/Repeater';
import { SeqLSTM } from '../rnn/SeqLSTM';
import { Sequencer } from '../rnn/Sequencer';
import { SequencerCriterion } from '../rnn/SequencerCriterion';
import { tf } from '../tf';
import type { CriterionSpec, ModuleSpec } from '../util/moduleSpec';

export type { CriterionSpec, ModuleSpec } from '../util/moduleSpec';
export { specOf } from '../util/moduleSpec';

/** Builds a nested spec (a module or a criterion). */
export type SpecBuilder = (spec: ModuleSpec) => Module | Criterion;

/** A class the registry can build: a module or criterion constructor, optionally with its own `fromSpec`. */
export type SpecConstructor = (abstract new (
  ...args: never[]
) => Module | Criterion) & {
  fromSpec?: (spec: ModuleSpec, build: SpecBuilder) => Module | Criterion;
};

/** A spec that cannot be built; `where` is its place in the root spec, e.g. `children[2].args[0]`. */
export class SpecError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(where ? `spec ${where}: ${problem}` : `spec: ${problem}`);
    this.name = 'SpecError';
  }
}

/**
 * A message on one line and of bounded length: a constructor given a built
 * module where it wanted a number prints the module (many lines) in its error.
 */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}… (${flat.length} characters)` : flat;
}

const registry = new Map<string, SpecConstructor>();

/**
 * Makes `type` buildable from specs. Registering the same class again is a
 * no-op; another class under a taken name throws unless `replace` is set.
 */
export function registerModule(type: string, ctor: SpecConstructor, { replace = false }: { replace?: boolean } = {}): void {
  if (typeof ctor !== 'function') throw new TypeError(`registerModule('${type}'): not a class`);
  const old = registry.get(type);
  if (old && old !== ctor && !replace)
    throw new Error(`registerModule: '${type}' is already registered to another class (${old.name}); pass { replace: true } to replace it`);
  registry.set(type, ctor);
}

/** `registerModule` for criteria (one registry holds both). */
export const registerCriterion = registerModule;

/** The registered type names, sorted. */
export function registeredTypes(): string[] {
  return [...registry.keys()].sort();
}

const builtIns: [string, SpecConstructor][] = Object.entries({
  Sequential,
  Concat,
  ConcatTable,
  ParallelTable,
  ResidualDrop,
  Identity,
  CAddTable,
  CMulTable,
  JoinTable,
  SplitTable,
  SelectTable,
  NarrowTable,
  FlattenTable,
  Reshape,
  View,
  Transpose,
  Squeeze,
  Unsqueeze,
  Linear,
  SpatialConvolution,
  SpatialMaxPooling,
  SpatialAveragePooling,
  BatchNormalization,
  SpatialBatchNormalization,
  Dropout,
  SpatialDropout,
  LookupTable,
  BahdanauAttention,
  LuongAttention,
  ReLU,
  LeakyReLU,
  ELU,
  Tanh,
  Sigmoid,
  SoftMax,
  LogSoftMax,
  ClassNLLCriterion,
  CrossEntropyCriterion,
  MultiCrossEntropyCriterion,
  MSECriterion,
  BCECriterion,
  CTCCriterion,
  // rnn (AbstractRecurrent is abstract)
  FastLSTM,
  LSTM,
  GRU,
  Recurrent,
  Recursor,
  Sequencer,
  Repeater,
  BiSequencer,
  SeqLSTM,
  MaskZero,
  LookupTableMaskZero,
  SequencerCriterion,
});
for (const [type, ctor] of builtIns) registerModule(type, ctor);

/** Builds a module from its spec (a parsed `toSpec()` result); its weights are freshly initialised. */
export function moduleFromSpec(spec: ModuleSpec): Module {
  const m = build(spec, '');
  if (!(m instanceof Module)) {
    m.dispose();
    throw new SpecError('', `'${spec.type}' is a criterion, not a module (use criterionFromSpec)`);
  }
  return m;
}

/** Builds a criterion from its spec. */
export function criterionFromSpec(spec: CriterionSpec): Criterion {
  const c = build(spec, '');
  if (!(c instanceof Criterion)) {
    c.dispose();
    throw new SpecError('', `'${spec.type}' is a module, not a criterion (use moduleFromSpec)`);
  }
  return c;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x) && !ArrayBuffer.isView(x);

const isSpec = (x: unknown): x is ModuleSpec => isPlainObject(x) && typeof x.type === 'string';

const RESERVED = new Set(['type', 'args', 'children']);

function build(spec: unknown, where: string): Module | Criterion {
  if (!isSpec(spec)) throw new SpecError(where, `expected an object with a string 'type', got ${oneLine(String(JSON.stringify(spec)), 120)}`);
  const Cls = registry.get(spec.type);
  if (!Cls) throw new SpecError(where, `unknown type '${spec.type}' (known: ${registeredTypes().join(', ')})`);
  const at = (suffix: string) => (where ? `${where}.${suffix}` : suffix);
  const made: (Module | Criterion)[] = [];
  const buildNested = (s: unknown, w: string) => {
    const x = build(s, w);
    made.push(x);
    return x;
  };
  try {
    if (Cls.fromSpec) return Cls.fromSpec(spec, (s) => buildNested(s, at('?')));
    if (spec.args !== undefined && !Array.isArray(spec.args)) throw new SpecError(where, `${spec.type}: 'args' must be an array`);
    if (spec.children !== undefined && !Array.isArray(spec.children)) throw new SpecError(where, `${spec.type}: 'children' must be an array`);
    // Modules are built from modules and criteria from criteria: a criterion
    // inside a module (or the reverse) would only fail later, far from its cause.
    const wantModule = Cls.prototype instanceof Module;
    const nested = (s: ModuleSpec, w: string) => {
      const x = buildNested(s, w);
      if (x instanceof Module !== wantModule)
        throw new SpecError(
          w,
          `'${s.type}' is a ${x instanceof Module ? 'module' : 'criterion'}, but ${spec.type} takes ${wantModule ? 'modules' : 'criteria'}`,
        );
      return x;
    };
    const args = (spec.args ?? []).map((a, i) => (a === null ? undefined : isSpec(a) ? nested(a, at(`args[${i}]`)) : a));
    const kids = (spec.children ?? []).map((c, i) => nested(c as ModuleSpec, at(`children[${i}]`)));
    let obj: Module | Criterion;
    const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
    try {
      obj = new (Cls as unknown as new (...a: unknown[]) => Module | Criterion)(...args, ...kids);
    } catch (e) {
      // A constructor that throws half-way leaves the parameters it made behind: free them.
      for (const [name, v] of Object.entries(tf.engine().registeredVariables)) if (!variablesBefore.has(name) && !v.isDisposed) v.dispose();
      throw new SpecError(where, `new ${spec.type}(…) failed: ${oneLine(e instanceof Error ? e.message : String(e))}`);
    }
    try {
      for (const [key, value] of Object.entries(spec)) if (!RESERVED.has(key)) applySetting(obj, spec.type, key, value, where);
    } catch (e) {
      obj.dispose();
      throw e;
    }
    return obj;
  } catch (e) {
    // Built children are owned by nothing yet: free their tensors.
    for (const x of made) x.dispose();
    throw e;
  }
}

/**
 * Names a setting may not use: the base classes' methods and fields (a spec
 * read from a file must not call `dispose` or replace `params`).
 */
const BASE_NAMES = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  ...Object.getOwnPropertyNames(Module.prototype),
  ...Object.getOwnPropertyNames(Criterion.prototype),
  ...Object.keys(new Identity()),
  ...Object.keys(new MSECriterion()),
  'modules',
  '__proto__',
  'prototype',
]);

const isScalar = (x: unknown) => x === undefined || ['number', 'string', 'boolean'].includes(typeof x);

function applySetting(obj: Module | Criterion, type: string, key: string, value: unknown, where: string): void {
  if (key === 'train' && obj instanceof Module) {
    if (value) obj.training();
    else obj.evaluate();
    return;
  }
  const target = obj as unknown as Record<string, unknown>;
  const current = key in target && !BASE_NAMES.has(key) ? target[key] : undefined;
  const isMethod = typeof current === 'function';
  const isField = !isMethod && Object.hasOwn(target, key) && !BASE_NAMES.has(key) && isScalar(current);
  if (!isMethod && !isField) throw new SpecError(where, `${type} has no setting '${key}' (a method of its own or a number/string/boolean field)`);
  try {
    if (isMethod) {
      if (value === true) (current as () => unknown).call(obj);
      else if (value !== false && value !== null) (current as (v: unknown) => unknown).call(obj, value);
    } else {
      if (value !== null && !isScalar(value)) throw new TypeError('a field takes a number, string, boolean or null');
      target[key] = value === null ? undefined : value;
    }
  } catch (e) {
    const msg = oneLine(e instanceof Error ? e.message : String(e));
    throw new SpecError(where, `${type}: setting '${key}' to ${oneLine(JSON.stringify(value) ?? String(value))} failed: ${msg}`);
  }
}
