import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { LogSoftMax } from './LogSoftMax';
import { expectClose, expectFlatMemory } from './testing';

describe('LogSoftMax', () => {
  it('is x - logsumexp(x) over the last dim; backward is g - softmax·Σg', () => {
    const xs = [1, 2, 3, 100, 101, 99]; // large values: must stay finite
    const dys = [0.1, -0.3, 0.5, 1, 0, -2];
    const c = 3;
    const m = new LogSoftMax();
    const x = tf.tensor2d(xs, [2, c]);
    const dy = tf.tensor2d(dys, [2, c]);
    const y: number[] = [];
    const ref: number[] = [];
    for (let r = 0; r < xs.length; r += c) {
      const row = xs.slice(r, r + c);
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((a, v) => a + Math.exp(v - mx), 0));
      const g = dys.slice(r, r + c);
      const gs = g.reduce((a, v) => a + v, 0);
      row.forEach((v, j) => {
        y.push(v - lse);
        ref.push(g[j] - Math.exp(v - lse) * gs);
      });
    }
    expectClose(m.forward(x) as Tensor, y, { atol: 1e-5 });
    expectClose(m.backward(x, dy) as Tensor, ref, { atol: 1e-5 });
    const m2 = new LogSoftMax();
    expectClose(m2.updateGradInput(x, dy) as Tensor, ref, { atol: 1e-5 });
    m.dispose();
    m2.dispose();
    x.dispose();
    dy.dispose();
  });

  it('handles a 1-d input and prints as Torch', () => {
    const m = new LogSoftMax();
    expect(m.toString()).toBe('nn.LogSoftMax');
    const x = tf.tensor1d([0, Math.log(3)]);
    expectClose(m.forward(x) as Tensor, [Math.log(1 / 4), Math.log(3 / 4)], { atol: 1e-5 });
    m.dispose();
    x.dispose();
  });

  it('keeps memory flat', () => {
    const m = new LogSoftMax();
    expectFlatMemory(m);
  });
});
