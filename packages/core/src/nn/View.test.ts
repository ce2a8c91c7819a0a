import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Sequential } from './Sequential';
import { View } from './View';

const shapeOf = (m: View, s: number[]) => (m.forward(tf.zeros(s)) as Tensor).shape;

describe('View', () => {
  it('views with sizes, a -1, and Torch batch rules', () => {
    expect(shapeOf(new View(3, 4), [12])).toEqual([3, 4]);
    expect(shapeOf(new View(3, 4), [2, 12])).toEqual([2, 3, 4]); // twice the elements: a batch of 2
    expect(shapeOf(new View(-1, 12), [2, 3, 4])).toEqual([2, 12]);
    expect(shapeOf(new View(-1), [2, 3, 4])).toEqual([24]);
    expect(shapeOf(new View(12).setNumInputDims(2), [5, 3, 4])).toEqual([5, 12]);
    expect(shapeOf(new View(12).setNumInputDims(2), [1, 3, 4])).toEqual([1, 12]); // batch of one kept
    expect(shapeOf(new View(12).setNumInputDims(2), [3, 4])).toEqual([12]);
    expect(shapeOf(new View(-1, 2).setNumInputDims(2), [5, 3, 4])).toEqual([5, 6, 2]);
    expect(shapeOf(new View(4).setNumInputDims(1), [2, 3, 4])).toEqual([6, 4]);
    expect(shapeOf(new View([2, -1]), [8])).toEqual([2, 4]);
  });

  it('reshapes gradOutput back (as tf.grads)', () => {
    const x = tf.range(0, 12).reshape([3, 4]);
    const m = new View(-1, 6);
    const y = m.forward(x) as Tensor;
    expect(y.arraySync()).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10, 11],
    ]);
    const dy = tf.range(0, 12).reshape([2, 6]).mul(-1);
    const g = m.backward(x, dy) as Tensor;
    const ref = tf.grads((xx: Tensor) => tf.sum(xx.reshape([2, 6]).mul(dy)))([x])[0];
    expect(g.arraySync()).toEqual(ref.arraySync());
  });

  it('rejects impossible views and bad sizes, naming the path; prints as Torch', () => {
    expect(() => new Sequential(new View(5)).forward(tf.zeros([2, 3]))).toThrow('Sequential.View(1): expected input a tensor that views as (5), got [2,3]');
    expect(() => new View(-1, 4).forward(tf.zeros([6]))).toThrow('View: expected input a tensor that views as (-1, 4), got [6]');
    expect(() => new View(-1, -1)).toThrow('only one dimension can be -1');
    expect(new View(-1, 12).toString()).toBe('nn.View(-1, 12)');
    expect(new View(3, 4).toString()).toBe('nn.View(3, 4)');
  });
});
