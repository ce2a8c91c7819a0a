import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { MSECriterion } from './MSECriterion';
import { expectClose } from './testing';

describe('MSECriterion', () => {
  const xs = [1, -2, 0.5, 3, 0, 4];
  const ts = [0.5, -1, 0.5, 1, 2, 4.5];

  for (const avg of [true, false]) {
    it(`loss Σ(x−t)²${avg ? '/n' : ''} and gradient 2(x−t)${avg ? '/n' : ''}`, () => {
      const c = new MSECriterion(avg);
      const x = tf.tensor2d(xs, [2, 3]);
      const d = avg ? 6 : 1;
      const loss = xs.reduce((a, v, i) => a + (v - ts[i]) ** 2, 0) / d;
      expect(c.forward(x, tf.tensor2d(ts, [2, 3]))).toBeCloseTo(loss, 5);
      // plain numbers of the same count are read in the input's shape, as Torch
      expect(c.forward(x, ts)).toBeCloseTo(loss, 5);
      const g = c.backward(x, ts) as Tensor;
      expect(g.shape).toEqual([2, 3]);
      expectClose(
        g,
        xs.map((v, i) => (2 * (v - ts[i])) / d),
        { atol: 5e-6 },
      ); // toBeCloseTo(·, 5)'s bound
      c.dispose();
      x.dispose();
    });
  }

  it('rejects a target of another size, prints as Torch', () => {
    const c = new MSECriterion();
    expect(c.toString()).toBe('nn.MSECriterion');
    expect(() => c.forward(tf.ones([2, 3]), [1, 2])).toThrow('MSECriterion: expected input a target of 6 elements, as the input [2,3], got [2]');
  });
});
