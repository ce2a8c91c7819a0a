import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { LeakyReLU } from './LeakyReLU';
import { expectClose, expectFlatSteps } from './testing';

const xs = [-2, -0.5, 0, 0.5, 1.5, 3];
const dys = [0.3, -1, 2, 0.7, -0.2, 1.1];

describe('LeakyReLU', () => {
  it('defaults to negval 1/100, and the slope at 0 is negval as in Torch', () => {
    const m = new LeakyReLU();
    expect(m.negval).toBe(0.01);
    const x = tf.tensor1d(xs);
    const dy = tf.tensor1d(dys);
    expectClose(
      m.forward(x) as Tensor,
      xs.map((v) => (v > 0 ? v : 0.01 * v)),
      { atol: 1e-6 },
    );
    const ref = xs.map((v, i) => (v > 0 ? dys[i] : 0.01 * dys[i]));
    expectClose(m.backward(x, dy) as Tensor, ref, { atol: 1e-6 });
    // The fused path (autodiff of compute) agrees, also at 0.
    const m2 = new LeakyReLU();
    expectClose(m2.updateGradInput(x, dy) as Tensor, ref, { atol: 1e-6 });
    m.dispose();
    m2.dispose();
    x.dispose();
    dy.dispose();
  });

  it('takes a slope, prints as Torch, keeps memory flat', () => {
    const m = new LeakyReLU(0.2, true);
    expect(m.toString()).toBe('nn.LeakyReLU');
    const x = tf.tensor2d(xs, [2, 3]);
    const dy = tf.tensor2d(dys, [2, 3]);
    expectClose(
      m.forward(x) as Tensor,
      xs.map((v) => (v > 0 ? v : 0.2 * v)),
      { atol: 1e-6 },
    );
    m.backward(x, dy);
    expectFlatSteps(m, x, dy, 10);
    m.dispose();
    x.dispose();
    dy.dispose();
  });
});
