import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { SplitTable } from './SplitTable';
import { expectFlatSteps } from './testing';

describe('SplitTable', () => {
  const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);

  it('splits along a 0-based dimension; gradInput stacks gradOutput back (as tf.grads)', () => {
    const m = new SplitTable(1);
    const out = m.forward(x) as Tensor[];
    expect(out.length).toBe(3);
    expect(out[1].arraySync()).toEqual([
      [3, 4],
      [9, 10],
    ]);
    const dys = [0, 1, 2].map((i) => tf.fill([2, 2], i + 1));
    const g = m.backward(x, dys) as Tensor;
    const ref = tf.grads((xx: Tensor) => tf.addN([0, 1, 2].map((i) => tf.sum(xx.slice([0, i, 0], [2, 1, 2]).reshape([2, 2]).mul(dys[i])))))([x])[0];
    expect(g.arraySync()).toEqual(ref.arraySync());
  });

  it('shifts for a batch of nInputDims + 1 dims; negative counts from the end', () => {
    expect((new SplitTable(0, 2).forward(x) as Tensor[]).length).toBe(3);
    expect((new SplitTable(0, 3).forward(x) as Tensor[]).length).toBe(2);
    expect((new SplitTable(-1, 2).forward(x) as Tensor[]).length).toBe(2);
    expect((new SplitTable(-1).forward(x) as Tensor[])[1].arraySync()).toEqual([
      [2, 4, 6],
      [8, 10, 12],
    ]);
  });

  it('names its path for a bad dimension and stays flat', () => {
    expect(() => new SplitTable(3).forward(x)).toThrow('SplitTable: expected input a tensor with a dimension 3, got [2,3,2]');
    const m = new SplitTable(0);
    const dys = [tf.ones([3, 2]), tf.ones([3, 2])];
    expectFlatSteps(m, x, dys, 3);
    expect(m.toString()).toBe('nn.SplitTable');
  });
});
