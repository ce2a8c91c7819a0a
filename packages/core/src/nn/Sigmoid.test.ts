import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Sigmoid } from './Sigmoid';
import { expectFlatMemory } from './testing';

const xs = [-4, -0.5, 0, 0.5, 1.5, 3];
const dys = [0.3, -1, 2, 0.7, -0.2, 1.1];
const sig = (v: number) => 1 / (1 + Math.exp(-v));

function close(t: Tensor, ref: number[], tol = 1e-6) {
  Array.from(t.dataSync()).forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(tol));
}

describe('Sigmoid', () => {
  it('forward and backward match 1/(1+e^-x) and its derivative', () => {
    const m = new Sigmoid();
    const x = tf.tensor2d(xs, [3, 2]);
    const dy = tf.tensor2d(dys, [3, 2]);
    close(m.forward(x) as Tensor, xs.map(sig));
    const ref = xs.map((v, i) => dys[i] * Math.exp(-v) / (1 + Math.exp(-v)) ** 2);
    close(m.backward(x, dy) as Tensor, ref);
    const m2 = new Sigmoid();
    close(m2.updateGradInput(x, dy) as Tensor, ref);
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
