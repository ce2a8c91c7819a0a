import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Tanh } from './Tanh';
import { expectClose, expectFlatMemory } from './testing';

const xs = [-2, -0.5, 0, 0.5, 1.5, 3];
const dys = [0.3, -1, 2, 0.7, -0.2, 1.1];

describe('Tanh', () => {
  it('forward and backward match tanh and 1 - tanh²', () => {
    const m = new Tanh();
    const x = tf.tensor2d(xs, [2, 3]);
    const dy = tf.tensor2d(dys, [2, 3]);
    expectClose(m.forward(x) as Tensor, xs.map(Math.tanh), { atol: 1e-6 });
    const ref = xs.map((v, i) => dys[i] * (1 - Math.tanh(v) ** 2));
    expectClose(m.backward(x, dy) as Tensor, ref, { atol: 1e-6 });
    // Without a forward (output not matching), the autodiff path gives the same.
    const m2 = new Tanh();
    expectClose(m2.updateGradInput(x, dy) as Tensor, ref, { atol: 1e-6 });
    m.dispose();
    m2.dispose();
    x.dispose();
    dy.dispose();
  });

  it('prints as Torch and keeps memory flat', () => {
    const m = new Tanh();
    expect(m.toString()).toBe('nn.Tanh');
    expectFlatMemory(m);
  });

  it('rejects a table input with a shape error', () => {
    expect(() => new Tanh().forward([tf.ones([2])])).toThrow('Tanh: expected input a tensor, got a table {[2]}');
  });
});
