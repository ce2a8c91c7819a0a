import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { CrossEntropyCriterion } from './CrossEntropyCriterion';
import { expectClose } from './testing';

/**
 * Plain-JS cross-entropy against the smoothed target q = (1 − ε)·one-hot + ε/C,
 * weighted per class as PyTorch's (w[y] on the NLL term, w[c] on each smoothing
 * term, the mean divided by Σ w[y] of counted rows): loss and d loss / d scores.
 * A target of -100 is ignored.
 */
function reference(xs: number[][], ts: number[], w?: number[], sizeAverage = true, eps = 0) {
  let total = 0;
  let wsum = 0;
  const grads = xs.map((row, n) => {
    const C = row.length;
    if (ts[n] === -100) return row.map(() => 0);
    const mx = Math.max(...row);
    const z = row.reduce((a, v) => a + Math.exp(v - mx), 0);
    const p = row.map((v) => Math.exp(v - mx) / z);
    const wc = (c: number) => (w ? w[c] : 1);
    // per-class coefficient of −log p_c, and the gradient Σ_c a_c (p − e_c)
    const a = row.map((_, c) => (1 - eps) * (c === ts[n] ? wc(c) : 0) + (eps / C) * wc(c));
    total += a.reduce((acc, ac, c) => acc - ac * Math.log(p[c]), 0);
    wsum += wc(ts[n]);
    const sa = a.reduce((x, y) => x + y, 0);
    return p.map((pv, c) => sa * pv - a[c]);
  });
  const d = sizeAverage ? wsum || 1 : 1;
  return { loss: total / d, grad: grads.flat().map((g) => g / d) };
}

const xs = [
  [1, 2, 0.5, -1],
  [0, 0, 3, 1],
  [-2, 1, 1, 0.3],
];
const ts = [1, 2, 0];

describe('CrossEntropyCriterion', () => {
  it('is LogSoftMax + ClassNLL: loss and gradient, averaged', () => {
    const c = new CrossEntropyCriterion();
    const x = tf.tensor2d(xs);
    const ref = reference(xs, ts);
    expect(c.forward(x, ts)).toBeCloseTo(ref.loss, 5);
    expect(c.output).toBeCloseTo(ref.loss, 5);
    expectClose(c.backward(x, tf.tensor1d(ts, 'int32')) as Tensor, ref.grad, { atol: 1e-6 });
    c.dispose();
    x.dispose();
  });

  it('applies class weights and sizeAverage = false', () => {
    const w = [0.5, 2, 1, 3];
    for (const avg of [true, false]) {
      const c = new CrossEntropyCriterion(w, avg);
      expect(c.sizeAverage).toBe(avg);
      const x = tf.tensor2d(xs);
      const ref = reference(xs, ts, w, avg);
      expect(c.forward(x, ts)).toBeCloseTo(ref.loss, 5);
      expectClose(c.backward(x, ts) as Tensor, ref.grad, { atol: 1e-6 });
      c.dispose();
      x.dispose();
    }
  });

  it('takes a 1-d input with a scalar target, and [N,1,1,C] like Torch squeeze', () => {
    const c = new CrossEntropyCriterion();
    const x1 = tf.tensor1d(xs[1]);
    const r1 = reference([xs[1]], [2]);
    expect(c.forward(x1, 2)).toBeCloseTo(r1.loss, 5);
    expectClose(c.backward(x1, 2) as Tensor, r1.grad, { atol: 1e-6 });
    const x4 = tf.tensor4d(xs.flat(), [3, 1, 1, 4]);
    const ref = reference(xs, ts);
    expect(c.forward(x4, ts)).toBeCloseTo(ref.loss, 5);
    const g = c.backward(x4, ts) as Tensor;
    expect(g.shape).toEqual([3, 1, 1, 4]);
    expectClose(g, ref.grad, { atol: 1e-6 });
    c.dispose();
    x1.dispose();
    x4.dispose();
  });

  it("smooths labels as PyTorch's label_smoothing: weights, sum, ignored targets, a zero class weight", () => {
    const w = [0.5, 2, 0, 3];
    const cases: [number[] | undefined, boolean, number[]][] = [
      [undefined, true, ts],
      [w, true, ts],
      [w, false, ts],
      [undefined, true, [1, -100, 0]],
      [w, true, [2, -100, 0]],
    ];
    for (const [weights, avg, t] of cases)
      for (const eps of [0.1, 1]) {
        const c = new CrossEntropyCriterion(weights, avg, eps);
        const x = tf.tensor2d(xs);
        const ref = reference(xs, t, weights, avg, eps);
        expect(c.forward(x, t)).toBeCloseTo(ref.loss, 5);
        expectClose(c.backward(x, t) as Tensor, ref.grad, { atol: 1e-6 });
        c.dispose();
        x.dispose();
      }
  });

  it('keeps labelSmoothing in its spec only when set, and rejects one outside [0, 1]', () => {
    expect(new CrossEntropyCriterion([1, 2], false).toSpec()).toEqual({ type: 'CrossEntropyCriterion', args: [[1, 2], false] });
    expect(new CrossEntropyCriterion(undefined, true, 0.1).toSpec()).toEqual({ type: 'CrossEntropyCriterion', args: [null, true, 0.1] });
    for (const bad of [-0.1, 1.5, Number.NaN])
      expect(() => new CrossEntropyCriterion(undefined, true, bad)).toThrow(`CrossEntropyCriterion: labelSmoothing must be in [0, 1], got ${bad}`);
  });

  it('reports shapes in errors and prints as Torch', () => {
    const c = new CrossEntropyCriterion();
    expect(c.toString()).toBe('nn.CrossEntropyCriterion');
    expect(() => c.forward(tf.ones([2, 3, 4]), [0, 1])).toThrow('CrossEntropyCriterion: expected input [N,C] or [C], got [2,3,4]');
    expect(() => c.forward(tf.ones([2, 3]), [0, 1, 2])).toThrow('expected input a target of 2 class indices, got [3]');
  });

  it('rejects a target outside [0, C) through its ClassNLLCriterion; all ignored gives 0', () => {
    const x = tf.tensor2d(xs);
    for (const c of [new CrossEntropyCriterion(), new CrossEntropyCriterion([0.5, 2, 1, 3])]) {
      for (const t of [
        [1, 4, 0],
        [1, -1, 0],
      ])
        for (const f of [() => c.forward(x, t), () => c.backward(x, t)])
          expect(f).toThrow(`ClassNLLCriterion: target ${t[1]} is out of bounds: expected a class index in [0, 3] (C = 4) or ignoreIndex -100`);
      // every target ignored (the inner ClassNLLCriterion's ignoreIndex): loss 0, gradient 0, not NaN
      expect(Math.abs(c.forward(x, [-100, -100, -100]))).toBe(0);
      expectClose(c.backward(x, [-100, -100, -100]) as Tensor, 0, { atol: 0 });
      c.dispose();
    }
    x.dispose();
  });

  it('keeps memory flat', () => {
    const c = new CrossEntropyCriterion([1, 1, 2, 1]);
    const x = tf.tensor2d(xs);
    const t = tf.tensor1d(ts, 'int32');
    c.forward(x, t);
    c.backward(x, t);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      c.forward(x, t);
      c.backward(x, ts);
    }
    expect(tf.memory().numTensors).toBe(before);
    c.dispose();
    x.dispose();
    t.dispose();
  });
});
