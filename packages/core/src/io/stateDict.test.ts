import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BatchNormalization } from '../nn/BatchNormalization';
import { Linear } from '../nn/Linear';
import type { StateDict } from '../nn/Module';
import { Sequential } from '../nn/Sequential';
import { tf } from '../tf';
import { StateDictError } from '../util/errors';
import { StateDictValueError } from './stateDict';

/** Linear(3 -> 2), BatchNormalization(2), Linear(2 -> 1) with known weights. */
function model(): Sequential {
  const m = new Sequential(new Linear(3, 2), new BatchNormalization(2), new Linear(2, 1));
  const sd = m.stateDict();
  const init: StateDict = {};
  for (const [k, t] of Object.entries(sd)) init[k] = t.dtype === 'float32' ? tf.fill(t.shape, 0.5) : tf.fill(t.shape, 3, 'int32');
  m.loadStateDict(init);
  for (const t of [...Object.values(sd), ...Object.values(init)]) t.dispose();
  return m;
}

/** A full state dict of new values (1.5 everywhere, 9 for the counters). */
function fresh(m: Sequential): StateDict {
  const out: StateDict = {};
  const sd = m.stateDict();
  for (const [k, t] of Object.entries(sd)) out[k] = t.dtype === 'float32' ? tf.fill(t.shape, 1.5) : tf.fill(t.shape, 9, 'int32');
  for (const t of Object.values(sd)) t.dispose();
  return out;
}

function snapshot(m: Sequential): Record<string, number[]> {
  const sd = m.stateDict();
  const out = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, Array.from(t.dataSync())]));
  for (const t of Object.values(sd)) t.dispose();
  return out;
}

const caught = (f: () => unknown): StateDictValueError => {
  try {
    f();
  } catch (e) {
    return e as StateDictValueError;
  }
  throw new Error('expected an error');
};

describe('loadStateDict checks everything before it assigns anything', () => {
  it('an int32 or bool tensor for a float parameter is an error naming the key, not a silent cast', () => {
    const m = model();
    const before = snapshot(m);
    for (const dtype of ['int32', 'bool'] as const) {
      const sd = fresh(m);
      sd['0.weight']!.dispose();
      sd['0.weight'] = tf.ones([2, 3], dtype);
      const e = caught(() => m.loadStateDict(sd));
      expect(e).toBeInstanceOf(StateDictError);
      expect(e.message).toBe(`state dict does not match the model: wrong dtypes: 0.weight (expected float32, got ${dtype})`);
      expect(e.wrongDtypes).toEqual([{ key: '0.weight', expected: 'float32', actual: dtype }]);
      expect(snapshot(m)).toEqual(before);
      for (const t of Object.values(sd)) t.dispose();
    }
    // And the other way: a float counter for an int32 buffer.
    const sd = fresh(m);
    sd['1.num_batches_tracked']!.dispose();
    sd['1.num_batches_tracked'] = tf.scalar(2.5);
    expect(() => m.loadStateDict(sd)).toThrow('wrong dtypes: 1.num_batches_tracked (expected int32, got float32)');
    for (const t of Object.values(sd)) t.dispose();
    m.dispose();
  });

  it('is all-or-nothing: a bad last entry leaves the model untouched', () => {
    const m = model();
    const before = snapshot(m);
    const keys = Object.keys(before);
    const last = keys[keys.length - 1]!;
    expect(last).toBe('2.bias');
    for (const bad of [() => tf.ones([2]), () => tf.ones([1], 'int32'), () => tf.tensor1d([NaN])]) {
      const sd = fresh(m);
      sd[last]!.dispose();
      sd[last] = bad();
      expect(() => m.loadStateDict(sd, { checkFinite: true })).toThrow(StateDictError);
      expect(snapshot(m)).toEqual(before);
      for (const t of Object.values(sd)) t.dispose();
    }
    // The same dict with a good last entry loads.
    const sd = fresh(m);
    m.loadStateDict(sd);
    expect(snapshot(m)['2.bias']).toEqual([1.5]);
    for (const t of Object.values(sd)) t.dispose();
    m.dispose();
  });

  it('null, arrays, numbers and disposed tensors are named, not a raw TypeError', () => {
    const m = model();
    const before = snapshot(m);
    const cases: [unknown, string][] = [
      [null, 'null'],
      [undefined, 'undefined'],
      [[1, 2, 3], 'an array'],
      [new Float32Array(2), 'a Float32Array'],
      [7, 'a number'],
      [{ shape: [1] }, 'an object'],
    ];
    for (const [value, got] of cases) {
      const sd = fresh(m) as Record<string, unknown>;
      (sd['2.bias'] as Tensor).dispose();
      sd['2.bias'] = value;
      const e = caught(() => m.loadStateDict(sd as StateDict));
      expect(e.message).toBe(`state dict does not match the model: not tensors: 2.bias (${got})`);
      expect(snapshot(m)).toEqual(before);
      for (const t of Object.values(sd)) if (t instanceof tf.Tensor) t.dispose();
    }
    const sd = fresh(m);
    sd['0.bias']!.dispose();
    expect(() => m.loadStateDict(sd)).toThrow('not tensors: 0.bias (a disposed tensor)');
    for (const t of Object.values(sd)) t.dispose();
    for (const dict of [null, [], tf.scalar(1), 'weights'])
      expect(() => m.loadStateDict(dict as unknown as StateDict)).toThrow(/^loadStateDict: expected an object of tensors keyed by name, got /);
    expect(snapshot(m)).toEqual(before);
    m.dispose();
  });

  it('checkFinite rejects NaN and infinite values, naming the key; off by default', () => {
    const m = model();
    const sd = fresh(m);
    sd['0.weight']!.dispose();
    sd['0.weight'] = tf.tensor2d([
      [1, NaN, 2],
      [Infinity, NaN, -Infinity],
    ]);
    const e = caught(() => m.loadStateDict(sd, { checkFinite: true }));
    expect(e.message).toBe('state dict does not match the model: non-finite values: 0.weight (2 NaN, 2 infinite; first at index 1)');
    expect(e.nonFinite).toEqual([{ key: '0.weight', nan: 2, infinite: 2, first: 1 }]);
    expect(e.onlyNonFinite).toBe(true);
    m.loadStateDict(sd); // not asked: loads
    expect(Number.isNaN(snapshot(m)['0.weight']![1])).toBe(true);
    for (const t of Object.values(sd)) t.dispose();
    m.dispose();
  });

  it('reports every problem at once, strict or not', () => {
    const m = model();
    const sd = fresh(m) as Record<string, unknown>;
    (sd['0.bias'] as Tensor).dispose();
    sd['0.bias'] = null;
    (sd['2.weight'] as Tensor).dispose();
    sd['2.weight'] = tf.ones([1, 2], 'int32');
    (sd['2.bias'] as Tensor).dispose();
    delete sd['2.bias'];
    sd.extra = tf.scalar(1);
    expect(() => m.loadStateDict(sd as StateDict)).toThrow(
      'state dict does not match the model: missing keys: 2.bias; unexpected keys: extra; not tensors: 0.bias (null); wrong dtypes: 2.weight (expected float32, got int32)',
    );
    expect(() => m.loadStateDict(sd as StateDict, { strict: false })).toThrow(
      'state dict does not match the model: not tensors: 0.bias (null); wrong dtypes: 2.weight (expected float32, got int32)',
    );
    for (const t of Object.values(sd)) if (t instanceof tf.Tensor) t.dispose();
    m.dispose();
  });

  it('restores the previous weights when assigning fails half-way, and leaks no tensor', () => {
    class Fragile extends Linear {
      protected override fromTorchLayout(name: string, t: Tensor): Tensor {
        if (name === 'bias') throw new Error('layout conversion failed');
        return super.fromTorchLayout(name, t);
      }
    }
    const m = new Sequential(new Linear(3, 2), new Fragile(2, 1));
    const sd0 = m.stateDict();
    const before = Object.fromEntries(Object.entries(sd0).map(([k, t]) => [k, Array.from(t.dataSync())]));
    for (const t of Object.values(sd0)) t.dispose();
    const sd: StateDict = { '0.weight': tf.ones([2, 3]), '0.bias': tf.ones([2]), '1.weight': tf.ones([1, 2]), '1.bias': tf.ones([1]) };
    const n = tf.memory().numTensors;
    expect(() => m.loadStateDict(sd)).toThrow('layout conversion failed');
    expect(tf.memory().numTensors).toBe(n);
    const after = m.stateDict();
    expect(Object.fromEntries(Object.entries(after).map(([k, t]) => [k, Array.from(t.dataSync())]))).toEqual(before);
    for (const t of [...Object.values(after), ...Object.values(sd)]) t.dispose();
    m.dispose();
  });
});
