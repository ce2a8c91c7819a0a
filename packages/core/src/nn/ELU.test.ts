import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { ELU } from './ELU';
import { expectClose, expectFlatMemory } from './testing';

const xs = [-3, -0.5, 0, 0.5, 1.5, 3];
const dys = [0.3, -1, 2, 0.7, -0.2, 1.1];

describe('ELU', () => {
  for (const alpha of [1, 0.5]) {
    it(`forward and backward match the formula (alpha ${alpha})`, () => {
      const m = new ELU(alpha);
      const x = tf.tensor2d(xs, [2, 3]);
      const dy = tf.tensor2d(dys, [2, 3]);
      expectClose(
        m.forward(x) as Tensor,
        xs.map((v) => (v > 0 ? v : alpha * (Math.exp(v) - 1))),
        { atol: 1e-6 },
      );
      // d/dx alpha(e^x - 1) = alpha e^x; at 0 Torch (and PyTorch) take the alpha branch.
      const ref = xs.map((v, i) => (v > 0 ? dys[i] : dys[i] * alpha * Math.exp(v)));
      expectClose(m.backward(x, dy) as Tensor, ref, { atol: 1e-6 });
      const m2 = new ELU(alpha);
      expectClose(m2.updateGradInput(x, dy) as Tensor, ref, { atol: 1e-6 });
      m.dispose();
      m2.dispose();
      x.dispose();
      dy.dispose();
    });
  }

  it('prints as Torch (%f formatting of alpha)', () => {
    expect(new ELU().toString()).toBe('nn.ELU (alpha:1.000000)');
    expect(new ELU(0.25, true).toString()).toBe('nn.ELU (alpha:0.250000)');
  });

  it('keeps memory flat', () => {
    const m = new ELU();
    expectFlatMemory(m);
  });
});
