import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Reshape } from './Reshape';
import { Sequential } from './Sequential';

const shapeOf = (m: Reshape, s: number[]) => (m.forward(tf.zeros(s)) as Tensor).shape;

describe('Reshape', () => {
  it('infers batch mode as Torch does', () => {
    const m = new Reshape(3, 4);
    expect(shapeOf(m, [12])).toEqual([3, 4]);
    expect(shapeOf(m, [2, 6])).toEqual([3, 4]); // 12 elements, first dim not 1: one sample
    expect(shapeOf(m, [1, 12])).toEqual([1, 3, 4]); // first dim 1: a batch of one
    expect(shapeOf(m, [5, 12])).toEqual([5, 3, 4]);
    expect(shapeOf(m, [5, 2, 6])).toEqual([5, 3, 4]);
    expect(shapeOf(new Reshape(3, 4, false), [1, 12])).toEqual([3, 4]);
    expect(shapeOf(new Reshape(2, 3, true), [6, 6])).toEqual([6, 2, 3]);
    expect(shapeOf(new Reshape([2, 6]), [12])).toEqual([2, 6]);
    expect(() => new Reshape(3, 4, true).forward(tf.zeros([2, 6]))).toThrow('Reshape: expected input [N,...] of N*12 elements, got [2,6]');
  });

  it('keeps the data order and reshapes gradOutput back (as tf.grads)', () => {
    const x = tf.range(0, 24).reshape([2, 3, 4]);
    const m = new Reshape(12);
    const y = m.forward(x) as Tensor;
    expect(y.arraySync()).toEqual([[...Array(12).keys()], [...Array(12).keys()].map((i) => i + 12)]);
    const dy = tf.range(0, 24).reshape([2, 12]).mul(3);
    const g = m.backward(x, dy) as Tensor;
    const ref = tf.grads((xx: Tensor) => tf.sum(xx.reshape([2, 12]).mul(dy)))([x])[0];
    expect(g.arraySync()).toEqual(ref.arraySync());
  });

  it('names its path in shape errors and prints as Torch', () => {
    expect(() => new Sequential(new Reshape(5)).forward(tf.zeros([2, 3]))).toThrow(
      'Sequential.Reshape(1): expected input 5 elements, or [N,...] of N*5, got [2,3]',
    );
    expect(new Reshape(3, 4).toString()).toBe('nn.Reshape(3x4)');
    expect(new Reshape(12, true).toString()).toBe('nn.Reshape(12)');
  });
});
