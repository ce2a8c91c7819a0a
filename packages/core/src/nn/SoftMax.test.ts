import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { SoftMax } from './SoftMax';
import { expectClose, expectFlatMemory } from './testing';

/** Softmax over rows of length c, in plain JS. */
function softmaxRows(xs: number[], c: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < xs.length; r += c) {
    const row = xs.slice(r, r + c);
    const z = row.reduce((a, v) => a + Math.exp(v), 0);
    out.push(...row.map((v) => Math.exp(v) / z));
  }
  return out;
}

describe('SoftMax', () => {
  it('normalises over the last (feature) dim and back-propagates the Jacobian', () => {
    const xs = [1, 2, 3, -1, 0, 4, 0.5, 0.5, -2, 3, 1, 1];
    const dys = [0.1, -0.3, 0.5, 1, 0, -1, 0.2, 0.2, 0.3, -0.7, 0.4, 0.9];
    const c = 3;
    const m = new SoftMax();
    const x = tf.tensor4d(xs, [1, 2, 2, c]); // NHWC
    const dy = tf.tensor4d(dys, [1, 2, 2, c]);
    const y = softmaxRows(xs, c);
    expectClose(m.forward(x) as Tensor, y, { atol: 1e-6 });
    // dx_i = y_i (dy_i - Σ_j dy_j y_j), per row
    const ref: number[] = [];
    for (let r = 0; r < xs.length; r += c) {
      const dot = [0, 1, 2].reduce((a, j) => a + dys[r + j] * y[r + j], 0);
      for (let j = 0; j < c; j++) ref.push(y[r + j] * (dys[r + j] - dot));
    }
    expectClose(m.backward(x, dy) as Tensor, ref, { atol: 1e-6 });
    const m2 = new SoftMax();
    expectClose(m2.updateGradInput(x, dy) as Tensor, ref, { atol: 1e-6 });
    m.dispose();
    m2.dispose();
    x.dispose();
    dy.dispose();
  });

  it('prints as Torch, rejects 5-d input with the expected shapes', () => {
    expect(new SoftMax().toString()).toBe('nn.SoftMax');
    expect(() => new SoftMax().forward(tf.ones([1, 1, 1, 1, 2]))).toThrow('SoftMax: expected input [C] or [N,C] or [H,W,C] or [N,H,W,C], got [1,1,1,1,2]');
  });

  it('keeps memory flat', () => {
    const m = new SoftMax();
    expectFlatMemory(m);
  });
});
