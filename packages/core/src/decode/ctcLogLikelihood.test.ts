import { describe, expect, it } from 'vitest';
import { CTCCriterion } from '../nn/CTCCriterion';
import { tf } from '../tf';
import { ctcLogLikelihood } from './ctcLogLikelihood';

describe('ctcLogLikelihood', () => {
  it('sums the alignments by hand: T = 2, label [1]', () => {
    // Paths for "1" over two steps (blank 0): 1 1, 0 1, 1 0.
    const p = [
      [0.2, 0.5, 0.3],
      [0.4, 0.1, 0.5],
    ];
    const want = p[0][1] * p[1][1] + p[0][0] * p[1][1] + p[0][1] * p[1][0];
    const lp = Float32Array.from(p.flat().map(Math.log));
    expect(ctcLogLikelihood(lp, 3, [1])).toBeCloseTo(Math.log(want), 6);
    // The empty label: the all-blank path; a label needing 3 steps in 2: impossible.
    expect(ctcLogLikelihood(lp, 3, [])).toBeCloseTo(Math.log(p[0][0] * p[1][0]), 6);
    expect(ctcLogLikelihood(lp, 3, [1, 1])).toBe(-Infinity);
  });

  it("is the negative of CTCCriterion's per-sample loss, with any blank", () => {
    const T = 7;
    const C = 5;
    const x = tf.tidy(() => tf.logSoftmax(tf.randomNormal([T, 2, C], 0, 2, 'float32', 3), -1));
    const labels = [
      [1, 2, 2],
      [4, 1],
    ];
    for (const blank of [0, 3]) {
      const ok = labels.map((l) => l.map((v) => (v === blank ? 0 : v)));
      const crit = new CTCCriterion({ blank, reduction: 'none' });
      crit.forward(x, ok);
      const data = x.transpose([1, 0, 2]);
      const flat = data.dataSync() as Float32Array;
      data.dispose();
      ok.forEach((l, n) => {
        expect(ctcLogLikelihood(flat.slice(n * T * C, (n + 1) * T * C), C, l, blank)).toBeCloseTo(-crit.losses[n], 4);
      });
    }
    x.dispose();
  });

  it('names what is wrong with its input', () => {
    const lp = new Float32Array(6);
    expect(() => ctcLogLikelihood(lp, 4, [1])).toThrow(/ctcLogLikelihood.*C = 4, got 6 values/);
    expect(() => ctcLogLikelihood(lp, 3, [0])).toThrow(/label 0 at 0 is out of bounds/);
    expect(() => ctcLogLikelihood(lp, 3, [3])).toThrow(/label 3 at 0/);
    expect(() => ctcLogLikelihood(lp, 3, [1], 3)).toThrow(/blank 3 is out of bounds/);
  });
});
