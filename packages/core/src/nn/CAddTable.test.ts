import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { CAddTable } from './CAddTable';
import { Sequential } from './Sequential';
import { expectFlatSteps } from './testing';

describe('CAddTable', () => {
  it('sums a table elementwise; gradInput is gradOutput for every entry (as tf.grads)', () => {
    const a = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const b = tf.tensor2d([
      [10, 20],
      [30, 40],
    ]);
    const c = tf.tensor2d([
      [100, 200],
      [300, 400],
    ]);
    const m = new CAddTable(true);
    expect((m.forward([a, b, c]) as Tensor).arraySync()).toEqual([
      [111, 222],
      [333, 444],
    ]);
    const dy = tf.tensor2d([
      [1, -1],
      [2, -2],
    ]);
    const g = m.backward([a, b, c], dy) as Tensor[];
    const ref = tf.grads((x: Tensor, y: Tensor, z: Tensor) => tf.sum(tf.mul(x.add(y).add(z), dy)))([a, b, c]);
    g.forEach((gi, i) => expect(gi.arraySync()).toEqual(ref[i].arraySync()));
    // A single entry is copied, not passed through.
    const one = m.forward([a]) as Tensor;
    expect(one).not.toBe(a);
    expect(one.arraySync()).toEqual(a.arraySync());
  });

  it('frees its output but not the gradOutput it passes back', () => {
    const m = new CAddTable();
    const a = tf.ones([3]);
    const dy = tf.ones([3]);
    const before = expectFlatSteps(m, [a, a], dy, 3);
    m.clearState();
    expect(tf.memory().numTensors).toBe(before - 1);
    expect([a.isDisposed, dy.isDisposed]).toEqual([false, false]);
  });

  it('names its path when the shapes differ, and prints as Torch', () => {
    const m = new Sequential(new CAddTable());
    expect(() => m.forward([tf.ones([2, 3]), tf.ones([3, 2])])).toThrow(
      'Sequential.CAddTable(1): expected input a table of tensors of one shape, got {[2,3], [3,2]}',
    );
    expect(new CAddTable(true).toString()).toBe('nn.CAddTable');
  });
});
