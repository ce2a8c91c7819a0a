import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as index from '../index';
import { BahdanauAttention } from '../nn/BahdanauAttention';
import { BatchNormalization } from '../nn/BatchNormalization';
import { BCECriterion } from '../nn/BCECriterion';
import { CAddTable } from '../nn/CAddTable';
import { ClassNLLCriterion } from '../nn/ClassNLLCriterion';
import { CMulTable } from '../nn/CMulTable';
import { Concat } from '../nn/Concat';
import { ConcatTable } from '../nn/ConcatTable';
import { ResidualDrop } from '../nn/ResidualDrop';
import { Container } from '../nn/Container';
import { Criterion, type Target } from '../nn/Criterion';
import { CrossEntropyCriterion } from '../nn/CrossEntropyCriterion';
import { CTCCriterion } from '../nn/CTCCriterion';
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
import { forgetAll } from '../rnn/AbstractRecurrent';
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
import { type Activity, flattenActivity } from '../util/activity';
import { manualSeed } from '../util/random';
import { criterionFromSpec, type ModuleSpec, moduleFromSpec, registeredTypes, registerModule, SpecError, specOf } from './spec';

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** A sequence as a table of T steps [N, F]. */
const seq = (T: number, N: number, F: number, seed: number) => Array.from({ length: T }, (_, t) => rand([N, F], seed + t));

/** [N, F] with its last row zero (padding, for the masking modules). */
const padded = (N: number, F: number, seed: number) => tf.tidy(() => tf.concat([rand([N - 1, F], seed), tf.zeros([1, F])]));

/** The recurrent modules and decorators (src/rnn), with non-default arguments and settings. */
const rnnCases: { cls: string; name?: string; make: () => Module; input: () => Activity }[] = [
  { cls: 'FastLSTM', make: () => new FastLSTM(4, 3, 5).maskZero(), input: () => padded(3, 4, 70) },
  { cls: 'LSTM', make: () => new LSTM(4, 3, 7, false), input: () => rand([2, 4], 71) },
  { cls: 'LSTM', name: 'LSTM with peepholes and maskZero(2)', make: () => new LSTM(4, 3, { rho: 6 }).maskZero(2), input: () => rand([2, 4], 72) },
  { cls: 'GRU', make: () => new GRU(4, 3, 6), input: () => rand([2, 4], 73) },
  {
    cls: 'Recurrent',
    make: () => new Recurrent(3, new Linear(4, 3), new Linear(3, 3, false), new Tanh(), 5),
    input: () => rand([2, 4], 74),
  },
  {
    cls: 'Recurrent',
    name: 'Recurrent with a start module and a merge',
    make: () => new Recurrent(new Identity(), new Linear(4, 3), new Linear(3, 3), new ReLU(), 4, new CMulTable()),
    input: () => rand([2, 4], 75),
  },
  { cls: 'Recursor', make: () => new Recursor(new Sequential(new Linear(4, 3), new Tanh()), 3), input: () => rand([2, 4], 76) },
  { cls: 'Sequencer', make: () => new Sequencer(new FastLSTM(4, 3)).remember('eval'), input: () => seq(3, 2, 4, 77) },
  { cls: 'Sequencer', name: 'Sequencer of a non-recurrent module', make: () => new Sequencer(new Linear(4, 3, false)), input: () => seq(3, 2, 4, 80) },
  { cls: 'Repeater', make: () => new Repeater(new GRU(4, 3), 3).remember('train'), input: () => rand([2, 4], 83) },
  { cls: 'Repeater', name: 'Repeater of a non-recurrent module', make: () => new Repeater(new Linear(4, 3), 2), input: () => rand([2, 4], 84) },
  { cls: 'BiSequencer', make: () => new BiSequencer(new FastLSTM(4, 3), new FastLSTM(4, 2)), input: () => seq(3, 2, 4, 85) },
  {
    cls: 'BiSequencer',
    name: 'BiSequencer with the default backward (PyTorch keys)',
    make: () => new BiSequencer(new GRU(4, 3)),
    input: () => seq(2, 2, 4, 88),
  },
  {
    cls: 'BiSequencer',
    name: 'BiSequencer with a non-recurrent backward and a merge',
    make: () => new BiSequencer(new LSTM(4, 3), new Sequential(new Linear(4, 3), new Tanh()), new CAddTable()),
    input: () => seq(3, 2, 4, 90),
  },
  { cls: 'SeqLSTM', make: () => new SeqLSTM(4, 3).remember(), input: () => rand([3, 2, 4], 93) },
  { cls: 'SeqLSTM', name: 'SeqLSTM batchFirst', make: () => new SeqLSTM(4, 5, { batchFirst: true }), input: () => rand([2, 3, 4], 94) },
  { cls: 'MaskZero', make: () => new MaskZero(new GRU(4, 3), 1), input: () => padded(3, 4, 95) },
  { cls: 'MaskZero', name: 'MaskZero of a non-recurrent module', make: () => new MaskZero(new Linear(4, 3), 1), input: () => padded(3, 4, 96) },
  {
    cls: 'LookupTableMaskZero',
    make: () => new LookupTableMaskZero(9, 4),
    input: () =>
      tf.tensor2d(
        [
          [0, 2, 9],
          [3, 0, 1],
        ],
        undefined,
        'int32',
      ),
  },
];

/** One instance per exported module class, with non-default arguments and settings, and an input. */
const moduleCases: { cls: string; name?: string; make: () => Module; input: () => Activity }[] = [
  { cls: 'Sequential', make: () => new Sequential(new Linear(4, 3, false), new Tanh(), new Linear(3, 2)), input: () => rand([2, 4], 1) },
  { cls: 'Concat', make: () => new Concat(1, new Linear(4, 3), new Sequential(new Linear(4, 2), new ReLU())), input: () => rand([2, 4], 2) },
  { cls: 'ConcatTable', make: () => new ConcatTable(new Linear(4, 3), new Identity()), input: () => rand([2, 4], 3) },
  { cls: 'ResidualDrop', make: () => new ResidualDrop(0.25, new Linear(4, 3), new Linear(4, 3)).evaluate(), input: () => rand([2, 4], 24) },
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
  {
    cls: 'LookupTable',
    make: () => new LookupTable(10, 4, 2, 1.5, 1),
    input: () =>
      tf.tensor2d(
        [
          [0, 2, 9],
          [3, 3, 1],
        ],
        undefined,
        'int32',
      ),
  },
  {
    cls: 'BahdanauAttention',
    make: () => new BahdanauAttention(3, 4, 5).returnWeights(),
    input: () => [rand([2, 3], 44), rand([2, 6, 4], 45), tf.tensor1d([6, 2], 'int32')],
  },
  { cls: 'LuongAttention', make: () => new LuongAttention(3, 4), input: () => [rand([2, 3], 46), rand([2, 5, 4], 47)] },
  {
    cls: 'LuongAttention',
    name: 'LuongAttention dot with weights',
    make: () => new LuongAttention(4, 4, 'dot').returnWeights(),
    input: () => [rand([2, 4], 48), rand([2, 5, 4], 49)],
  },
  { cls: 'ReLU', make: () => new ReLU(true), input: () => rand([2, 5], 37) },
  { cls: 'LeakyReLU', make: () => new LeakyReLU(0.2, true), input: () => rand([2, 5], 38) },
  { cls: 'ELU', make: () => new ELU(0.5, true), input: () => rand([2, 5], 39) },
  { cls: 'Tanh', make: () => new Tanh(), input: () => rand([2, 5], 40) },
  { cls: 'Sigmoid', make: () => new Sigmoid(), input: () => rand([2, 5], 41) },
  { cls: 'SoftMax', make: () => new SoftMax(), input: () => rand([2, 5], 42) },
  { cls: 'LogSoftMax', make: () => new LogSoftMax(), input: () => rand([2, 5], 43) },
  ...rnnCases,
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
    target: () =>
      tf.tensor2d([
        [1, 0, 1],
        [0, 0, 1],
        [1, 1, 0],
        [0, 1, 0],
      ]),
  },
  {
    cls: 'CTCCriterion',
    make: () => new CTCCriterion({ blank: 3, reduction: 'sum', zeroInfinity: true }),
    input: () => tf.logSoftmax(rand([5, 2, 4], 57)),
    target: () => ({
      labels: [
        [0, 1, 1],
        [2, 0, 1, 2],
      ],
      inputLengths: [5, 4],
    }),
  },
  {
    cls: 'SequencerCriterion',
    make: () => new SequencerCriterion(new ClassNLLCriterion([1, 2, 0.5], false), true),
    input: () => tf.logSoftmax(rand([3, 4, 3], 56)),
    target: () => [
      [0, 1, 2, 2],
      [1, 1, 0, 2],
      [2, 0, 1, 0],
    ],
  },
];

const ABSTRACT = ['Module', 'Criterion', 'Container', 'TransferModule', 'SpatialPooling', 'AbstractRecurrent'];

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
    // recurrent state (remember modes) must not carry over from the forward above
    forgetAll(original);
    forgetAll(copy);
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
    it(`${c.name ?? c.cls}: JSON round trip gives the same printing, state and forward`, () => {
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

  it('constructing and disposing each recurrent module frees every tensor', () => {
    for (const c of rnnCases) {
      const before = tf.memory().numTensors;
      c.make().dispose();
      expect({ case: c.name ?? c.cls, numTensors: tf.memory().numTensors }).toEqual({ case: c.name ?? c.cls, numTensors: before });
    }
  });

  it('writes recurrent specs with constructor arguments, not the modules the constructors make', () => {
    const m = new Sequential(
      new Sequencer(new Recurrent(3, new Linear(4, 3), new Linear(3, 3), new ReLU(), 5)),
      new Sequencer(new Sequential(new Linear(3, 2), new LogSoftMax())),
      new BiSequencer(new FastLSTM(2, 2)),
      new MaskZero(new LSTM(2, 3, 9, false), 1),
      new SeqLSTM(3, 3, { batchFirst: true }).remember('train'),
    );
    const lin = (i: number, o: number) => ({ type: 'Linear', args: [i, o, true] });
    expect(m.toSpec()).toEqual({
      type: 'Sequential',
      children: [
        { type: 'Sequencer', args: [{ type: 'Recurrent', args: [3, lin(4, 3), lin(3, 3), { type: 'ReLU', args: [false] }, 5] }] },
        { type: 'Sequencer', args: [{ type: 'Sequential', children: [lin(3, 2), { type: 'LogSoftMax' }] }] },
        {
          type: 'BiSequencer',
          args: [
            { type: 'FastLSTM', args: [2, 2, 9999] },
            { type: 'FastLSTM', args: [2, 2, 9999] },
          ],
        },
        { type: 'MaskZero', args: [{ type: 'LSTM', args: [2, 3, 9, false], maskZero: 1 }, 1] },
        { type: 'SeqLSTM', args: [3, 3, { batchFirst: true }], remember: 'train' },
      ],
    });
    const crit = new SequencerCriterion(new ClassNLLCriterion());
    expect(crit.toSpec()).toEqual({ type: 'SequencerCriterion', args: [{ type: 'ClassNLLCriterion', args: [null, true, -100] }, false] });
    m.dispose();
    crit.dispose();
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
      children: [
        { type: 'SpatialConvolution', args: [3, 8, 3, 3, null, null, 1] },
        { type: 'SpatialMaxPooling', args: [2, 2] },
      ],
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
    const spec = {
      type: 'Sequential',
      children: [
        { type: 'Linear', args: [20, 20] },
        { type: 'Linear', args: [2, 2], bogus: 1 },
      ],
    };
    expect(() => moduleFromSpec(spec)).toThrow("spec children[1]: Linear has no setting 'bogus'");
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects settings that would reach the base classes or non-scalar fields', () => {
    for (const key of ['dispose', 'params', 'output', 'constructor', '__proto__', 'weight'])
      expect(() => moduleFromSpec(JSON.parse(`{"type":"Linear","args":[2,2],"${key}":true}`) as ModuleSpec)).toThrow(`Linear has no setting '${key}'`);
  });

  it('reports a failing constructor with the type, and a criterion asked for as a module', () => {
    expect(() => moduleFromSpec({ type: 'SpatialConvolution', args: [3, 0, 3, 3] })).toThrow(
      /spec: new SpatialConvolution\(…\) failed: .*nOutputPlane must be a positive integer/,
    );
    expect(() => moduleFromSpec({ type: 'MSECriterion' })).toThrow("'MSECriterion' is a criterion, not a module");
    expect(() => criterionFromSpec({ type: 'ReLU' })).toThrow("'ReLU' is a module, not a criterion");
    expect(() => moduleFromSpec({ type: 'Linear', args: 3 } as unknown as ModuleSpec)).toThrow("'args' must be an array");
  });

  it("a criterion among a module's children or args (or the reverse) is an error where it stands, freeing what was built", () => {
    const before = tf.memory().numTensors;
    expect(() => moduleFromSpec({ type: 'Sequential', children: [{ type: 'Linear', args: [4, 4] }, { type: 'ClassNLLCriterion' }] })).toThrow(
      "spec children[1]: 'ClassNLLCriterion' is a criterion, but Sequential takes modules",
    );
    expect(() =>
      moduleFromSpec({ type: 'Recurrent', args: [5, { type: 'Linear', args: [6, 5] }, { type: 'Linear', args: [5, 5] }, { type: 'MSECriterion' }, 4] }),
    ).toThrow("spec args[3]: 'MSECriterion' is a criterion, but Recurrent takes modules");
    expect(() => criterionFromSpec({ type: 'SequencerCriterion', args: [{ type: 'ReLU' }] })).toThrow(
      "spec args[0]: 'ReLU' is a module, but SequencerCriterion takes criteria",
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a constructor error that prints a module stays on one line', () => {
    // A built module where a number belongs: the constructor's message prints the module, over many lines.
    const spec = { type: 'Linear', args: [{ type: 'Sequential', children: [{ type: 'Sequential', children: [{ type: 'ReLU' }] }] }, 3] };
    const e = (() => {
      try {
        moduleFromSpec(spec as unknown as ModuleSpec);
      } catch (x) {
        return x as Error;
      }
      throw new Error('expected an error');
    })();
    expect(e.message).toMatch(/^spec: new Linear\(…\) failed: /);
    expect(e.message).not.toContain('\n');
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
