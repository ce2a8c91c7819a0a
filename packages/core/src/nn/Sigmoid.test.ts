import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Sigmoid } from './Sigmoid';
import { expectClose, expectFlatMemory } from './testing';

const xs = [-4, -0.5, 0, 0.5, 1.5, 3];
const dys = [0.3, -1, 2, 0.7, -0.2, 1.1];
const sig = (v: number) => 1 / (1 + Math.exp(-v));

describe('Sigmoid', () => {
  it('forward and backward match 1/(1+e^-x) and its derivative', () => {
    const m = new Sigmoid();
    const x = tf.tensor2d(xs, [3, 2]);
    const dy = tf.tensor2d(dys, [3, 2]);
    expectClose(m.forward(x) as Tensor, xs.map(sig), { atol: 1e-6 });
    const ref = xs.map((v, i) => (dys[i] * Math.exp(-v)) / (1 + Math.exp(-v)) ** 2);
    expectClose(m.backward(x, dy) as Tensor, ref, { atol: 1e-6 });
    const m2 = new Sigmoid();
    expectClose(m2.updateGradInput(x, dy) as Tensor, ref, { atol: 1e-6 });
    m.dispose();
    m2.dispose();
    x.dispose();
    dy.dispose();
  });

  it('prints as Torch and keeps memory flat', () => {
    const m = new Sigmoid();
    expect(m.toString()).toBe('nn.Sigmoid');
    expectFlatMemory(m);
  });
});
