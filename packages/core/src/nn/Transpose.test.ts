import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Sequential } from './Sequential';
import { Transpose } from './Transpose';

describe('Transpose', () => {
  const x = tf.range(0, 24).reshape([2, 3, 4]);

  it('swaps pairs in order (0-based, negative from the end) and back-propagates (as tf.grads)', () => {
    // Swap 0,2 then 0,1: [a,b,c] -> [c,b,a] -> [b,c,a], i.e. perm [1,2,0].
    const m = new Transpose([0, 2], [0, 1]);
    const y = m.forward(x) as Tensor;
    const ref = tf.transpose(x, [1, 2, 0]);
    expect(y.shape).toEqual([3, 4, 2]);
    expect(y.arraySync()).toEqual(ref.arraySync());
    const dy = tf.range(0, 24).reshape([3, 4, 2]).square();
    const g = m.backward(x, dy) as Tensor;
    const gref = tf.grads((xx: Tensor) => tf.sum(tf.transpose(xx, [1, 2, 0]).mul(dy)))([x])[0];
    expect(g.arraySync()).toEqual(gref.arraySync());
    expect((new Transpose([-1, 0]).forward(x) as Tensor).arraySync()).toEqual(tf.transpose(x, [2, 1, 0]).arraySync());
  });

  it('names its path for a missing dimension', () => {
    expect(() => new Sequential(new Transpose([0, 3])).forward(x)).toThrow('Sequential.Transpose(1): expected input a tensor with dimensions 0,3, got [2,3,4]');
    expect(new Transpose([0, 1]).toString()).toBe('nn.Transpose');
  });
});
