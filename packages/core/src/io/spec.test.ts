import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as index from '../index';
import { BatchNormalization } from '../nn/BatchNormalization';
import { BCECriterion } from '../nn/BCECriterion';
import { CAddTable } from '../nn/CAddTable';
import { ClassNLLCriterion } from '../nn/ClassNLLCriterion';
import { CMulTable } from '../nn/CMulTable';
import { Concat } from '../nn/Concat';
import { ConcatTable } from '../nn/ConcatTable';
import { Container } from '../nn/Container';
import { Criterion, type Target } from '../nn/Criterion';
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
import { Module } from '../nn/Module';
import { MSECriterion } from '../nn/MSECriterion';
import { MultiCrossEntropyCriterion } from '../nn/MultiCrossEntropyCriterion';
import { NarrowTable } from '../nn/NarrowTable';
import { ParallelTable } from '../nn/ParallelTable';
import { ReLU } from '../nn/ReLU';
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
import { tf } from '../tf';
import { type Activity, flattenActivity } from '../util/activity';
import { manualSeed } from '../util/random';
import {
  criterionFromSpec,
  type ModuleSpec,
  moduleFromSpec,
  registeredTypes,
  registerModule,
  SpecError,
  specOf,
} from './spec';

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** One instance per exported module class, with non-default arguments and settings, and an input. */
const moduleCases: { cls: string; make: () => Module; input: () => Activity }[] = [
  { cls: 'Sequential', make: () => new Sequential(new Linear(4, 3, false), new Tanh(), new Linear(3, 2)), input: () => rand([2, 4], 1) },
  { cls: 'Concat', make: () => new Concat(1, new Linear(4, 3), new Sequential(new Linear(4, 2), new ReLU())), input: () => rand([2, 4], 2) },
  { cls: 'ConcatTable', make: () => new ConcatTable(new Linear(4, 3), new Identity()), input: () => rand([2, 4], 3) },
  { cls: 'ParallelTable', make: () => new ParallelTable(new Linear(4, 3), new ReLU(true)), input: () => [rand([2, 4], 4), rand([2, 5], 5)] },
  { cls: 'Identity', make: () => new Identity(), input: () => rand([2, 3], 6) },
  { cls: 'CAddTable', make: () => new CAddTable(true), input: () => [rand([2, 3], 7), rand([2, 3], 8)] },
  { cls: 'CMulTable', make: () => new CMulTable(), input: () => [rand([2, 3], 9), rand([2, 3], 10)] },
  { cls: 'JoinTable', make: () => new JoinTable(0, 1), input: () => [rand([2, 3], 11), rand([2, 4], 12)] },
  { cls: 'SplitTable', make: () => new SplitTable(0, 2), input: () => rand([2, 3, 4], 13) },
  { cls: 'SelectTable', make: () => new SelectTable(-1), input: () => [rand([2, 3], 14), rand([2, 4], 15)] },
  { cls: 'NarrowTable', make: () => new NarrowTable(1, 2), input: () => [1, 2, 3, 4].map((s) => rand([2, s], 16 + s)) },
  { cls: 'FlattenTable', make: () => new FlattenTable(), input: () => [rand([2], 21), [rand([3], 22), rand([4], 23)]] },
  { cls: 'Reshape', make: () => new Reshape(3, 4, true), input: () => rand([2, 12], 24) },
  { cls: 'View', make: () => new View(2, -1).setNumInputDims(2), input: () => rand([5, 3, 4], 25) },
  { cls: 'Transpose', make: () => new Transpose([0, 1], [1, 2]), input: () => rand([2, 3, 4], 26) },
  { cls: 'Squeeze', make: () => new Squeeze(1, 2), input: () => rand([2, 3, 1], 27) },
  { cls: 'Unsqueeze', make: () => new Unsqueeze(1, 2), input: () => rand([5, 3, 4], 28) },
  { cls: 'Linear', make: () => new Linear(5, 3, false), input: () => rand([2, 5], 29) },
  {
    cls: 'SpatialConvolution',
    make: () => new SpatialConvolution(3, 4, 3, 2, 2, 1, 1, 0).noBias(),
    input: () => rand([2, 7, 8, 3], 30),
  },
  { cls: 'SpatialMaxPooling', make: () => new SpatialMaxPooling(3, 3, 2, 2, 1, 1).ceil(), input: () => rand([2, 8, 8, 3], 31) },
  {
    cls: 'SpatialAveragePooling',
    make: () => new SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil().setCountExcludePad(),
    input: () => rand([2, 8, 8, 3], 32),
  },
  { cls: 'BatchNormalization', make: () => new BatchNormalization(4, 1e-3, 0.2, false), input: () => rand([3, 4], 33) },
  { cls: 'SpatialBatchNormalization', make: () => new SpatialBatchNormalization(4, 1e-3, 0.3), input: () => rand([2, 3, 3, 4], 34) },
  { cls: 'Dropout', make: () => new Dropout(0.3, true, true), input: () => rand([2, 5], 35) },
  { cls: 'SpatialDropout', make: () => new SpatialDropout(0.2), input: () => rand([2, 3, 3, 4], 36) },
  { cls: 'LookupTable', make: () => new LookupTable(10, 4, 2, 1.5, 1), input: () => tf.tensor2d([[0, 2, 9], [3, 3, 1]], undefined, 'int32') },
  { cls: 'ReLU', make: () => new ReLU(true), input: () => rand([2, 5], 37) },
  { cls: 'LeakyReLU', make: () => new LeakyReLU(0.2, true), input: () => rand([2, 5], 38) },
  { cls: 'ELU', make: () => new ELU(0.5, true), input: () => rand([2, 5], 39) },
  { cls: 'Tanh', make: () => new Tanh(), input: () => rand([2, 5], 40) },
  { cls: 'Sigmoid', make: () => new Sigmoid(), input: () => rand([2, 5], 41) },
  { cls: 'SoftMax', make: () => new SoftMax(), input: () => rand([2, 5], 42) },
  { cls: 'LogSoftMax', make: () => new LogSoftMax(), input: () => rand([2, 5], 43) },
];

const criterionCases: { cls: string; make: () => Criterion; input: () => Tensor; target: () => Target }[] = [
  {
    cls: 'ClassNLLCriterion',
    make: () => new ClassNLLCriterion([1, 2, 0.5], false, 1),
    input: () => tf.logSoftmax(rand([4, 3], 50)),
    target: () => [0, 1, 2, 2],
  },
  {
    cls: 'CrossEntropyCriterion',
    make: () => new CrossEntropyCriterion([1, 2, 0.5], false),
    input: () => rand([4, 3], 51),
    target: () => [0, 1, 2, 2],
  },
  {
    cls: 'MultiCrossEntropyCriterion',
    make: () => new MultiCrossEntropyCriterion(),
    input: () => rand([2, 3, 4], 52),
    target: () => [
      [0, 1, 2],
      [3, 0, 1],
    ],
  },
  { cls: 'MSECriterion', make: () => new MSECriterion(false), input: () => rand([4, 3], 53), target: () => rand([4, 3], 54) },
  {
    cls: 'BCECriterion',
    make: () => new BCECriterion([0.5, 1, 2], false),
    input: () => tf.sigmoid(rand([4, 3], 55)),
    target: () => tf.tensor2d([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]]),
  },
];

const ABSTRACT = ['Module', 'Criterion', 'Container', 'TransferModule', 'SpatialPooling'];

function disposeAll(a: Activity | Target): void {
  if (a instanceof tf.Tensor) a.dispose();
  else if (Array.isArray(a)) for (const x of a) if (typeof x === 'object') disposeAll(x as Activity);
}

function values(a: Activity): { shape: number[]; data: number[] }[] {
  return flattenActivity(a).map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));
}

/** toSpec → JSON → moduleFromSpec, then checks the copy against the original. */
function checkRoundTrip(original: Module, input: Activity, clone: (s: ModuleSpec) => ModuleSpec): void {
  // Move the running statistics (and renorm LookupTable rows) so the state is not the initial one.
  original.training();
  original.forward(input);
  const spec = clone(original.toSpec());
  const copy = moduleFromSpec(spec);
  try {
    expect(copy.constructor).toBe(original.constructor);
    expect(copy.toString()).toBe(original.toString());
    expect(copy.toSpec()).toEqual(spec);
    expect([...copy.stateShapes()]).toEqual([...original.stateShapes()]);
    const state = original.stateDict();
    copy.loadStateDict(state);
    for (const t of Object.values(state)) t.dispose();
    original.evaluate();
    copy.evaluate();
    expect(values(copy.forward(input))).toEqual(values(original.forward(input)));
  } finally {
    copy.dispose();
  }
}

describe('toSpec / moduleFromSpec', () => {
  it('registers, and tests here, every module and criterion class that src/index.ts exports', () => {
    const exported = Object.entries(index)
      .filter(([, v]) => typeof v === 'function' && (v.prototype instanceof Module || v.prototype instanceof Criterion))
      .map(([k]) => k)
      .filter((k) => !ABSTRACT.includes(k))
      .sort();
    expect(exported.length).toBeGreaterThan(30);
    expect(exported.filter((k) => !registeredTypes().includes(k))).toEqual([]);
    const tested = [...moduleCases, ...criterionCases].map((c) => c.cls);
    expect(exported.filter((k) => !tested.includes(k))).toEqual([]);
  });

  for (const c of moduleCases)
    it(`${c.cls}: JSON round trip gives the same printing, state and forward`, () => {
      manualSeed(7);
      const before = tf.memory().numTensors;
      const m = c.make();
      const x = c.input();
      expect(m.typeName).toBe(c.cls);
      try {
        checkRoundTrip(m, x, (s) => JSON.parse(JSON.stringify(s)) as ModuleSpec);
        checkRoundTrip(m, x, (s) => structuredClone(s)); // what a worker thread receives
      } finally {
        m.dispose();
        disposeAll(x);
      }
      expect(tf.memory().numTensors).toBe(before); // the original and both copies freed
    });

  for (const c of criterionCases)
    it(`${c.cls}: JSON round trip gives the same loss`, () => {
      const crit = c.make();
      const spec = JSON.parse(JSON.stringify(crit.toSpec())) as ModuleSpec;
      const copy = criterionFromSpec(spec);
      const x = c.input();
      const t = c.target();
      try {
        expect(copy.constructor).toBe(crit.constructor);
        expect(copy.toSpec()).toEqual(spec);
        expect(copy.toString()).toBe(crit.toString());
        expect(copy.forward(x, t)).toBe(crit.forward(x, t));
      } finally {
        crit.dispose();
        copy.dispose();
        disposeAll(x);
        disposeAll(t);
      }
    });

  it('writes the spec shapes the parity fixtures use', () => {
    const m = new Sequential(
      new SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1).noBias(),
      new SpatialMaxPooling(2, 2, 2, 2).ceil(),
      new SpatialAveragePooling(2, 2, 2, 2).ceil().setCountExcludePad(),
      new ReLU(),
    );
    expect(m.toSpec()).toEqual({
      type: 'Sequential',
      children: [
        { type: 'SpatialConvolution', args: [3, 8, 3, 3, 1, 1, 1, 1], noBias: true },
        { type: 'SpatialMaxPooling', args: [2, 2, 2, 2, 0, 0], ceil: true },
        { type: 'SpatialAveragePooling', args: [2, 2, 2, 2, 0, 0], ceil: true, countIncludePad: false },
        { type: 'ReLU', args: [false] },
      ],
    });
    expect(new ClassNLLCriterion(undefined, false).toSpec()).toEqual({ type: 'ClassNLLCriterion', args: [null, false, -100] });
    m.dispose();
  });

  it('reads the short forms: null and missing arguments take the defaults, train: false evaluates', () => {
    const m = moduleFromSpec({
      type: 'Sequential',
      train: false,
      children: [{ type: 'SpatialConvolution', args: [3, 8, 3, 3, null, null, 1] }, { type: 'SpatialMaxPooling', args: [2, 2] }],
    });
    expect(m.train).toBe(false);
    expect((m as Sequential).get(0).toSpec().args).toEqual([3, 8, 3, 3, 1, 1, 1, 1]);
    expect((m as Sequential).get(1).toSpec().args).toEqual([2, 2, 2, 2, 0, 0]);
    m.dispose();
  });

  it('names an unknown type, lists the known ones, and says where it is', () => {
    const spec = { type: 'Sequential', children: [{ type: 'Linear', args: [2, 2] }, { type: 'Frobnicate' }] };
    expect(() => moduleFromSpec(spec)).toThrow(SpecError);
    expect(() => moduleFromSpec(spec)).toThrow(/spec children\[1\]: unknown type 'Frobnicate' \(known: .*Linear.*SpatialConvolution/);
  });

  it('frees what it built when a spec fails part way', () => {
    const before = tf.memory().numTensors;
    const spec = { type: 'Sequential', children: [{ type: 'Linear', args: [20, 20] }, { type: 'Linear', args: [2, 2], bogus: 1 }] };
    expect(() => moduleFromSpec(spec)).toThrow("spec children[1]: Linear has no setting 'bogus'");
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects settings that would reach the base classes or non-scalar fields', () => {
    for (const key of ['dispose', 'params', 'output', 'constructor', '__proto__', 'weight'])
      expect(() => moduleFromSpec(JSON.parse(`{"type":"Linear","args":[2,2],"${key}":true}`) as ModuleSpec)).toThrow(
        `Linear has no setting '${key}'`,
      );
  });

  it('reports a failing constructor with the type, and a criterion asked for as a module', () => {
    expect(() => moduleFromSpec({ type: 'SpatialConvolution', args: [3, 0, 3, 3] })).toThrow(
      /spec: new SpatialConvolution\(…\) failed: .*nOutputPlane must be a positive integer/,
    );
    expect(() => moduleFromSpec({ type: 'MSECriterion' })).toThrow("'MSECriterion' is a criterion, not a module");
    expect(() => criterionFromSpec({ type: 'ReLU' })).toThrow("'ReLU' is a module, not a criterion");
    expect(() => moduleFromSpec({ type: 'Linear', args: 3 } as unknown as ModuleSpec)).toThrow("'args' must be an array");
  });

  it('builds registered custom modules: nested specs in args, containers, and static fromSpec', () => {
    class Wrap extends Container {
      readonly typeName = 'TestWrap';
      constructor(
        inner: Module,
        readonly scale = 1,
      ) {
        super(inner);
      }
      protected compute(input: Activity): Activity {
        return (this.modules[0].apply(input) as Tensor).mul(this.scale);
      }
      override toSpec(): ModuleSpec {
        return specOf(this.typeName, [this.modules[0].toSpec(), this.scale]);
      }
    }
    class Fancy extends Identity {
      override readonly typeName = 'TestFancy' as 'Identity';
      constructor(readonly tag: string) {
        super();
      }
      override toSpec(): ModuleSpec {
        return { type: this.typeName, tag: this.tag };
      }
      static fromSpec(spec: ModuleSpec): Fancy {
        return new Fancy(spec.tag as string);
      }
    }
    registerModule('TestWrap', Wrap);
    registerModule('TestWrap', Wrap); // again: a no-op
    registerModule('TestFancy', Fancy);
    expect(() => registerModule('TestWrap', Fancy)).toThrow("'TestWrap' is already registered to another class (Wrap)");
    const m = new Sequential(new Wrap(new Linear(3, 2), 2), new Fancy('x'));
    const spec = JSON.parse(JSON.stringify(m.toSpec())) as ModuleSpec;
    expect(spec.children![0]).toEqual({ type: 'TestWrap', args: [{ type: 'Linear', args: [3, 2, true] }, 2] });
    const copy = moduleFromSpec(spec);
    expect(copy.toSpec()).toEqual(spec);
    expect((copy as Sequential).get(1)).toBeInstanceOf(Fancy);
    const state = m.stateDict();
    copy.loadStateDict(state);
    const x = rand([4, 3], 60);
    expect(values(copy.forward(x))).toEqual(values(m.forward(x)));
    for (const t of [x, ...Object.values(state)]) t.dispose();
    m.dispose();
    copy.dispose();
  });
});
