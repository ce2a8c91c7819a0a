import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { NarrowTable } from './NarrowTable';

describe('NarrowTable', () => {
  const xs = [tf.tensor1d([1]), tf.tensor1d([2, 2]), tf.tensor1d([3, 3, 3]), tf.tensor1d([4, 4, 4, 4])];

  it('narrows with a 0-based or negative offset, passing entries through', () => {
    const out = new NarrowTable(1, 2).forward(xs) as Tensor[];
    expect(out.length).toBe(2);
    expect(out[0]).toBe(xs[1]);
    expect(out[1]).toBe(xs[2]);
    const last = new NarrowTable(-1).forward(xs) as Tensor[];
    expect(last.length).toBe(1);
    expect(last[0]).toBe(xs[3]);
  });

  it('gradInput is gradOutput in the range and zeros elsewhere', () => {
    const m = new NarrowTable(1, 2);
    m.forward(xs);
    const dy = [tf.tensor1d([5, 6]), tf.tensor1d([7, 8, 9])];
    const g = m.backward(xs, dy) as Tensor[];
    expect(g.length).toBe(4);
    expect(g[1]).toBe(dy[0]);
    expect(g[2]).toBe(dy[1]);
    expect(g[0].arraySync()).toEqual([0]);
    expect(g[3].arraySync()).toEqual([0, 0, 0, 0]);
    // The compute path under autodiff agrees.
    const ref = tf.grads((a: Tensor, b: Tensor, c: Tensor, d: Tensor) => {
      const o = m.apply([a, b, c, d]) as Tensor[];
      // (the zero terms only tell tf.grads that every input is used)
      const unused = tf.addN([a, b, c, d].map((t) => tf.sum(t.mul(0))));
      return tf
        .sum(o[0].mul(dy[0]))
        .add(tf.sum(o[1].mul(dy[1])))
        .add(unused);
    })(xs);
    g.forEach((gi, i) => expect(gi.arraySync()).toEqual(ref[i].arraySync()));

    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) m.backward(xs, dy);
    expect(tf.memory().numTensors).toBe(before);
    m.clearState();
    expect(tf.memory().numTensors).toBe(before - 2);
    expect(xs.concat(dy).every((t) => !t.isDisposed)).toBe(true);
  });

  it('names its path when the range does not fit', () => {
    expect(() => new NarrowTable(3, 2).forward(xs)).toThrow('NarrowTable: expected input a table with entries 3 to 4, got {[1], [2], [3], [4]}');
    expect(new NarrowTable(0).toString()).toBe('nn.NarrowTable');
  });
});
