import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Identity } from './Identity';

describe('Identity', () => {
  it('passes tensors and tables through, forward and back, and never frees them', () => {
    const m = new Identity();
    const a = tf.tensor1d([1, 2]);
    const b = tf.tensor1d([3]);
    expect(m.forward(a)).toBe(a);
    const t = [a, [b]];
    expect(m.forward(t)).toBe(t);
    const g = tf.tensor1d([5, 6]);
    expect(m.backward(a, g)).toBe(g);
    expect(m.updateGradInput(a, a)).toBe(a);
    m.forward(b);
    m.backward(b, b);
    m.clearState();
    expect([a.isDisposed, b.isDisposed, g.isDisposed]).toEqual([false, false, false]);
    // The compute path is the identity too, under autodiff.
    const dx = tf.grads((x: Tensor) => tf.sum((m.apply(x) as Tensor).mul(x)))([a])[0];
    expect(dx.arraySync()).toEqual([2, 4]);
    expect(m.toString()).toBe('nn.Identity');
  });
});
