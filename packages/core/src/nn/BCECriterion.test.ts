import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { BCECriterion } from './BCECriterion';
import { expectClose } from './testing';

const eps = 1e-12;

describe('BCECriterion', () => {
  const xs = [0.1, 0.9, 0.5, 0.3, 0.75, 0.2];
  const ts = [0, 1, 1, 0, 0, 1];

  it('matches −Σ t log x + (1−t) log(1−x), averaged, and its derivative', () => {
    const c = new BCECriterion();
    const x = tf.tensor2d(xs, [2, 3]);
    const loss = -xs.reduce((a, v, i) => a + ts[i] * Math.log(v) + (1 - ts[i]) * Math.log(1 - v), 0) / 6;
    expect(c.forward(x, ts)).toBeCloseTo(loss, 5);
    const g = c.backward(x, tf.tensor2d(ts, [2, 3])) as Tensor;
    expect(g.shape).toEqual([2, 3]);
    expectClose(
      g,
      xs.map((v, i) => (v - ts[i]) / (v * (1 - v)) / 6),
      { atol: 1e-5, rtol: 1e-5 },
    );
    c.dispose();
    x.dispose();
  });

  it('broadcasts 1-d weights over the last dim; sizeAverage false sums', () => {
    const w = [0.5, 2, 1];
    const c = new BCECriterion(w, false);
    const x = tf.tensor2d(xs, [2, 3]);
    const loss = -xs.reduce((a, v, i) => a + w[i % 3] * (ts[i] * Math.log(v) + (1 - ts[i]) * Math.log(1 - v)), 0);
    expect(c.forward(x, ts)).toBeCloseTo(loss, 4);
    const g = c.backward(x, ts) as Tensor;
    expectClose(
      g,
      xs.map((v, i) => (w[i % 3] * (v - ts[i])) / (v * (1 - v))),
      { atol: 1e-5, rtol: 1e-5 },
    );
    c.dispose();
    x.dispose();
  });

  it("uses Torch's eps: finite at 0 and 1, and Torch's gradient formula there", () => {
    const c = new BCECriterion(undefined, false);
    const xb = [0, 1, 0, 1];
    const tb = [0, 1, 1, 0];
    const x = tf.tensor1d(xb);
    // Torch: −(t log(x+ε) + (1−t) log(1−x+ε)) → 0, 0, −log ε, −log ε
    expect(c.forward(x, tb)).toBeCloseTo(-2 * Math.log(eps), 2);
    const g = Array.from((c.backward(x, tb) as Tensor).dataSync());
    // Torch: (x − t) / (x (1 − x + ε) + ε)
    const ref = xb.map((v, i) => (v - tb[i]) / (v * (1 - v + eps) + eps));
    expect(g[0]).toBe(0);
    expect(g[1]).toBe(0);
    expectClose(g.slice(2), ref.slice(2), { atol: 1e-4, rtol: 1e-4 });
    c.dispose();
    x.dispose();
  });

  it('rejects size mismatches, prints as Torch, keeps memory flat', () => {
    const c = new BCECriterion([1, 2]);
    expect(c.toString()).toBe('nn.BCECriterion');
    expect(() => c.forward(tf.fill([2, 3], 0.5), [1, 0])).toThrow('BCECriterion: expected input a target of 6 elements, as the input [2,3], got [2]');
    expect(() => c.forward(tf.fill([2, 3], 0.5), ts)).toThrow("BCECriterion: expected input a last dimension of 2 (the weights' size), got [2,3]");
    const x = tf.fill([3, 2], 0.4);
    c.forward(x, ts);
    c.backward(x, ts);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      c.forward(x, ts);
      c.backward(x, ts);
    }
    expect(tf.memory().numTensors).toBe(before);
    c.dispose();
    x.dispose();
  });
});
