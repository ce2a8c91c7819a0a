import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { CrossEntropyCriterion } from './CrossEntropyCriterion';
import { MultiCrossEntropyCriterion } from './MultiCrossEntropyCriterion';
import { expectClose } from './testing';

describe('MultiCrossEntropyCriterion', () => {
  // N = 2 samples, k = 3 characters, C = 4 classes
  const xs = [
    [
      [1, 2, 0.5, -1],
      [0, 0, 3, 1],
      [-2, 1, 1, 0.3],
    ],
    [
      [0.2, 0.1, 0, 0],
      [5, -5, 0, 1],
      [1, 1, 1, 1],
    ],
  ];
  const ts = [
    [1, 2, 0],
    [3, 0, 2],
  ];

  function reference() {
    let total = 0;
    const grad: number[] = [];
    xs.forEach((sample, n) =>
      sample.forEach((row, j) => {
        const z = row.reduce((a, v) => a + Math.exp(v), 0);
        const p = row.map((v) => Math.exp(v) / z);
        total += -Math.log(p[ts[n][j]]);
        grad.push(...p.map((pv, c) => (pv - (c === ts[n][j] ? 1 : 0)) / 6));
      }),
    );
    return { loss: total / 6, grad };
  }

  it('averages the cross-entropy over all N·k positions', () => {
    const c = new MultiCrossEntropyCriterion();
    const x = tf.tensor3d(xs);
    const ref = reference();
    expect(c.forward(x, ts)).toBeCloseTo(ref.loss, 5);
    const t = tf.tensor2d(ts, undefined, 'int32');
    expect(c.forward(x, t)).toBeCloseTo(ref.loss, 5);
    const g = c.backward(x, t) as Tensor;
    expect(g.shape).toEqual([2, 3, 4]);
    expectClose(g, ref.grad, { atol: 1e-6 });
    c.dispose();
    x.dispose();
    t.dispose();
  });

  it('smooths labels per position as CrossEntropyCriterion over [N·k, C], and keeps it in its spec', () => {
    const eps = 0.2;
    const c = new MultiCrossEntropyCriterion(eps);
    const flat = new CrossEntropyCriterion(undefined, true, eps);
    const x = tf.tensor3d(xs);
    const x2 = x.reshape([6, 4]);
    expect(c.forward(x, ts)).toBeCloseTo(flat.forward(x2, ts.flat()), 6);
    // not the unsmoothed loss
    expect(Math.abs(c.output - reference().loss)).toBeGreaterThan(0.05);
    expectClose((c.backward(x, ts) as Tensor).reshape([6, 4]), flat.backward(x2, ts.flat()) as Tensor, { atol: 1e-6 });
    expect(c.toSpec()).toEqual({ type: 'MultiCrossEntropyCriterion', args: [eps] });
    expect(new MultiCrossEntropyCriterion().toSpec()).toEqual({ type: 'MultiCrossEntropyCriterion' });
    expect(() => new MultiCrossEntropyCriterion(2)).toThrow('MultiCrossEntropyCriterion: labelSmoothing must be in [0, 1], got 2');
    for (const d of [c, flat, x, x2]) d.dispose();
  });

  it('names expected and actual shapes, prints as Torch', () => {
    const c = new MultiCrossEntropyCriterion();
    expect(c.toString()).toBe('nn.MultiCrossEntropyCriterion');
    expect(() => c.forward(tf.ones([2, 4]), [0, 1])).toThrow('MultiCrossEntropyCriterion: expected input [N,k,C], got [2,4]');
    expect(() => c.forward(tf.ones([2, 3, 4]), [[0, 1]])).toThrow('MultiCrossEntropyCriterion: expected input a target [2,3] of class indices, got [1,2]');
    // a class index ≥ C (e.g. a label alphabet larger than the model's) is an error, not a zero loss
    expect(() =>
      c.forward(tf.tensor3d(xs), [
        [1, 2, 0],
        [4, 0, 2],
      ]),
    ).toThrow('ClassNLLCriterion: target 4 is out of bounds: expected a class index in [0, 3] (C = 4)');
  });
});
