import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Squeeze } from './Squeeze';

const shapeOf = (m: Squeeze, s: number[]) => (m.forward(tf.zeros(s)) as Tensor).shape;

describe('Squeeze', () => {
  it('squeezes all size-1 dims, or one 0-based/negative dim, as Torch7', () => {
    expect(shapeOf(new Squeeze(), [1, 3, 1, 2])).toEqual([3, 2]);
    expect(shapeOf(new Squeeze(), [1, 1])).toEqual([1]); // Torch7 keeps one dimension
    expect(shapeOf(new Squeeze(2), [1, 3, 1, 2])).toEqual([1, 3, 2]);
    expect(shapeOf(new Squeeze(1), [1, 3, 1, 2])).toEqual([1, 3, 1, 2]); // size 3: unchanged
    expect(shapeOf(new Squeeze(-2), [1, 3, 1, 2])).toEqual([1, 3, 2]);
    expect(shapeOf(new Squeeze(0), [1])).toEqual([1]);
  });

  it('follows the numInputDims batch rule', () => {
    expect(shapeOf(new Squeeze(1, 2), [5, 3, 1])).toEqual([5, 3]); // dim shifts for the batch
    expect(shapeOf(new Squeeze(1, 2), [3, 1])).toEqual([3]);
    expect(shapeOf(new Squeeze(undefined, 2), [1, 3, 1])).toEqual([1, 3]); // batch of one kept
    expect(shapeOf(new Squeeze(undefined, 2), [1, 1, 1])).toEqual([1, 1]);
    expect(shapeOf(new Squeeze().setNumInputDims(2), [4, 1, 3])).toEqual([4, 3]);
  });

  it('reshapes gradOutput back (as tf.grads) and names its path', () => {
    const x = tf.range(0, 6).reshape([2, 1, 3]);
    const m = new Squeeze();
    const dy = tf.range(0, 6).reshape([2, 3]).mul(2);
    m.forward(x);
    const g = m.backward(x, dy) as Tensor;
    const ref = tf.grads((xx: Tensor) => tf.sum(xx.reshape([2, 3]).mul(dy)))([x])[0];
    expect(g.arraySync()).toEqual(ref.arraySync());
    expect(() => new Squeeze(3).forward(x)).toThrow('Squeeze: expected input a tensor with a dimension 3, got [2,1,3]');
    expect(m.toString()).toBe('nn.Squeeze');
  });
});
