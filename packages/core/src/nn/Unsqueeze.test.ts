import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Sequential } from './Sequential';
import { Unsqueeze } from './Unsqueeze';

const shapeOf = (m: Unsqueeze, s: number[]) => (m.forward(tf.zeros(s)) as Tensor).shape;

describe('Unsqueeze', () => {
  it('inserts a size-1 dimension at a 0-based or negative position', () => {
    expect(shapeOf(new Unsqueeze(0), [2, 3])).toEqual([1, 2, 3]);
    expect(shapeOf(new Unsqueeze(1), [2, 3])).toEqual([2, 1, 3]);
    expect(shapeOf(new Unsqueeze(2), [2, 3])).toEqual([2, 3, 1]);
    expect(shapeOf(new Unsqueeze(-1), [2, 3])).toEqual([2, 3, 1]);
    expect(shapeOf(new Unsqueeze(-3), [2, 3])).toEqual([1, 2, 3]);
  });

  it('shifts past batch dimensions with numInputDims', () => {
    expect(shapeOf(new Unsqueeze(0, 2), [5, 2, 3])).toEqual([5, 1, 2, 3]);
    expect(shapeOf(new Unsqueeze(0, 2), [2, 3])).toEqual([1, 2, 3]);
    expect(shapeOf(new Unsqueeze(-1).setNumInputDims(1), [4, 2, 3])).toEqual([4, 2, 3, 1]);
  });

  it('reshapes gradOutput back (as tf.grads), names its path, prints as Torch (1-based)', () => {
    const x = tf.range(0, 6).reshape([2, 3]);
    const m = new Unsqueeze(1);
    const dy = tf.range(0, 6).reshape([2, 1, 3]).neg();
    m.forward(x);
    const g = m.backward(x, dy) as Tensor;
    const ref = tf.grads((xx: Tensor) => tf.sum(tf.expandDims(xx, 1).mul(dy)))([x])[0];
    expect(g.arraySync()).toEqual(ref.arraySync());
    expect(() => new Sequential(new Unsqueeze(3)).forward(x)).toThrow(
      'Sequential.Unsqueeze(1): expected input a tensor with room for a dimension at 3, got [2,3]',
    );
    expect(() => new Unsqueeze(0, 3).forward(x)).toThrow('Unsqueeze: expected input');
    expect(m.toString()).toBe('nn.Unsqueeze(dim 2)');
  });
});
