import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { fusedBackward } from '../train/fusedStep';
import { ModuleError } from '../util/errors';
import { ClassNLLCriterion } from './ClassNLLCriterion';
import { Linear } from './Linear';
import { LogSoftMax } from './LogSoftMax';
import { Sequential } from './Sequential';
import { expectClose } from './testing';

// Log-probabilities of 3 samples over 3 classes, and their targets.
const logp = [
  [-1, -2, -3],
  [-0.5, -1.5, -2.5],
  [-2, -0.1, -3],
];
const ts = [2, 0, 1]; // picks −3, −0.5, −0.1

/** d loss / d input by hand: −w[t]/scale at (n, t[n]) for the counted samples, 0 elsewhere. */
function gradByHand(t: number[], w: number[], scale: number, ignore = -100): number[][] {
  return logp.map((row, n) => row.map((_, c) => (t[n] !== ignore && c === t[n] ? -w[c] / scale : 0)));
}

describe('ClassNLLCriterion', () => {
  it('averages −x[n, t[n]] over the samples; sizeAverage false sums (hand-computed)', () => {
    const x = tf.tensor2d(logp);
    const c = new ClassNLLCriterion();
    expect(c.sizeAverage).toBe(true);
    expect(c.ignoreIndex).toBe(-100);
    expect(c.forward(x, ts)).toBeCloseTo(3.6 / 3, 6);
    expect(c.output).toBeCloseTo(3.6 / 3, 6);
    expectClose(c.backward(x, ts), gradByHand(ts, [1, 1, 1], 3), { atol: 1e-7 });
    const s = new ClassNLLCriterion(undefined, false);
    expect(s.forward(x, ts)).toBeCloseTo(3.6, 6);
    expectClose(s.backward(x, ts), gradByHand(ts, [1, 1, 1], 1), { atol: 0 });
    c.dispose();
    s.dispose();
    x.dispose();
  });

  it('takes targets as numbers, an int32 tensor, a float tensor or an [N,1] tensor', () => {
    const x = tf.tensor2d(logp);
    const c = new ClassNLLCriterion();
    for (const t of [ts, tf.tensor1d(ts, 'int32'), tf.tensor1d(ts), tf.tensor2d(ts, [3, 1], 'int32')]) {
      expect(c.forward(x, t)).toBeCloseTo(1.2, 6);
      expectClose(c.backward(x, t), gradByHand(ts, [1, 1, 1], 3), { atol: 1e-7 });
    }
    c.dispose();
    x.dispose();
  });

  it('weights each sample by its class weight and averages over the summed weights, as Torch and PyTorch', () => {
    const x = tf.tensor2d(logp);
    const w = [1, 2, 3];
    // 3·3 + 1·0.5 + 2·0.1 = 9.7, over 3 + 1 + 2 = 6
    const c = new ClassNLLCriterion(w);
    expect(c.forward(x, ts)).toBeCloseTo(9.7 / 6, 6);
    expectClose(c.backward(x, ts), gradByHand(ts, w, 6), { atol: 1e-7 });
    const s = new ClassNLLCriterion(w, false);
    expect(s.forward(x, ts)).toBeCloseTo(9.7, 5);
    expectClose(s.backward(x, ts), gradByHand(ts, w, 1), { atol: 0 });
    // weights given as a tensor are copied: the caller may dispose theirs
    const wt = tf.tensor1d(w);
    const ct = new ClassNLLCriterion(wt);
    wt.dispose();
    expect(ct.forward(x, ts)).toBeCloseTo(9.7 / 6, 6);
    ct.dispose();
    expect(ct.weights!.isDisposed).toBe(true);
    c.dispose();
    s.dispose();
    x.dispose();
  });

  it('ignores targets equal to ignoreIndex: no loss, no gradient, and not in the average', () => {
    const x = tf.tensor2d(logp);
    const t = [2, -100, 1];
    const c = new ClassNLLCriterion();
    expect(c.forward(x, t)).toBeCloseTo((3 + 0.1) / 2, 6);
    expectClose(c.backward(x, t), gradByHand(t, [1, 1, 1], 2), { atol: 1e-7 });
    const w = [1, 2, 3];
    const cw = new ClassNLLCriterion(w);
    expect(cw.forward(x, t)).toBeCloseTo((9 + 0.2) / 5, 6);
    expectClose(cw.backward(x, t), gradByHand(t, w, 5), { atol: 1e-7 });
    // another ignoreIndex: class 0 (the second sample) is skipped
    const c0 = new ClassNLLCriterion(undefined, true, 0);
    expect(c0.forward(x, ts)).toBeCloseTo((3 + 0.1) / 2, 6);
    expectClose(c0.backward(x, ts), gradByHand(ts, [1, 1, 1], 2, 0), { atol: 1e-7 });
    c.dispose();
    cw.dispose();
    c0.dispose();
    x.dispose();
  });

  it('takes [N, T, C] log-probabilities with [N, T] targets: the mean over the counted steps, as [N·T, C]', () => {
    // the 3 rows as 2 sequences of 2 steps (the 4th row a copy of the first); one step ignored
    const x = tf.tensor3d([logp.slice(0, 2), [logp[2], logp[0]]]);
    const t = tf.tensor2d(
      [
        [2, 0],
        [1, -100],
      ],
      [2, 2],
      'int32',
    );
    const c = new ClassNLLCriterion();
    expect(c.forward(x, t)).toBeCloseTo((3 + 0.5 + 0.1) / 3, 6);
    const g = c.backward(x, t) as Tensor;
    expect(g.shape).toEqual([2, 2, 3]);
    expectClose(g, [gradByHand(ts, [1, 1, 1], 3).slice(0, 2), [gradByHand(ts, [1, 1, 1], 3)[2], [0, 0, 0]]], { atol: 1e-7 });
    c.dispose();
    tf.dispose([x, t, g]);
  });

  it('takes an unbatched [C] input with a scalar target', () => {
    const x = tf.tensor1d([-1, -2, -3]);
    const c = new ClassNLLCriterion();
    expect(c.forward(x, 1)).toBeCloseTo(2, 6);
    const g = c.backward(x, 1) as Tensor;
    expect(g.shape).toEqual([3]);
    expectClose(g, [0, -1, 0], { atol: 0 });
    // weighted and summed: −w[t]·x[t]
    const s = new ClassNLLCriterion([1, 2, 3], false);
    expect(s.forward(x, 1)).toBeCloseTo(4, 6);
    expectClose(s.backward(x, 1), [0, -2, 0], { atol: 0 });
    c.dispose();
    s.dispose();
    x.dispose();
  });

  it('names expected and actual shapes in errors', () => {
    const c = new ClassNLLCriterion();
    expect(() => c.forward(tf.zeros([2, 2, 3]), [1, 0])).toThrow('ClassNLLCriterion: expected input a target of 4 class indices, got [2]');
    expect(() => c.forward([tf.zeros([2, 3])], [1, 0])).toThrow('ClassNLLCriterion: expected input [N,C] or [C], got a table');
    expect(() => c.forward(tf.zeros([3, 3]), [1, 0])).toThrow('ClassNLLCriterion: expected input a target of 3 class indices, got [2]');
    expect(() => new ClassNLLCriterion([1, 2]).forward(tf.zeros([3, 3]), ts)).toThrow(
      "ClassNLLCriterion: expected input 2 classes (the weights' size), got [3,3]",
    );
  });

  it('prints as Torch and saves its arguments', () => {
    expect(new ClassNLLCriterion().toString()).toBe('nn.ClassNLLCriterion');
    expect(new ClassNLLCriterion([1, 2], false, 5).toSpec()).toEqual({ type: 'ClassNLLCriterion', args: [[1, 2], false, 5] });
  });

  it('keeps the tensor count flat over forward/backward steps', () => {
    const c = new ClassNLLCriterion([1, 2, 3]);
    const x = tf.tensor2d(logp);
    const t = tf.tensor1d(ts, 'int32');
    c.forward(x, t);
    c.backward(x, t);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      c.forward(x, [2, -100, 1]);
      c.backward(x, t);
    }
    expect(tf.memory().numTensors).toBe(before);
    c.dispose();
    x.dispose();
    t.dispose();
  });

  // Torch7 (THNN: "Assertion `cur_target >= 0 && cur_target < n_classes' failed") and
  // PyTorch ("Target 3 is out of bounds") reject a class index outside [0, C) that is
  // not ignoreIndex, rather than counting it silently as a zero loss.
  it('rejects a target outside [0, C), naming the target and C', () => {
    const x = tf.tensor2d([
      [-1, -2, -3],
      [-0.5, -1.5, -2.5],
    ]);
    const c = new ClassNLLCriterion();
    const cw = new ClassNLLCriterion([1, 2, 3]);
    const c0 = new ClassNLLCriterion(undefined, true, 0);
    const x1 = tf.tensor1d([-1, -2, -3]);
    const t = tf.tensor1d([0, 3], 'int32');
    const before = tf.memory().numTensors;
    try {
      expect(() => c.forward(x, [3, 0])).toThrow();
      expect(() => c.forward(x, [-1, 0])).toThrow();
      for (const crit of [c, cw]) {
        for (const f of [() => crit.forward(x, [3, 0]), () => crit.backward(x, t)]) {
          expect(f).toThrow(ModuleError);
          expect(f).toThrow('ClassNLLCriterion: target 3 is out of bounds: expected a class index in [0, 2] (C = 3) or ignoreIndex -100');
        }
        expect(() => crit.forward(x, [-1, 0])).toThrow('ClassNLLCriterion: target -1 is out of bounds');
        expect(() => crit.forward(x1, 7)).toThrow('ClassNLLCriterion: target 7 is out of bounds');
      }
      // a negative target is only an ignored one when it is ignoreIndex
      expect(() => c0.forward(x, [-100, 0])).toThrow(
        'ClassNLLCriterion: target -100 is out of bounds: expected a class index in [0, 2] (C = 3) or ignoreIndex 0',
      );
      // the throws leave nothing behind
      expect(tf.memory().numTensors).toBe(before);
      expect(c0.forward(x, [0, 1])).toBeCloseTo(1.5, 6);
    } finally {
      c.dispose();
      cw.dispose();
      c0.dispose();
      x.dispose();
      x1.dispose();
      t.dispose();
    }
  });

  // A batch whose targets are all ignoreIndex has no counted weight. PyTorch's
  // backward zeroes the gradient of ignored samples (so all of it), and Torch7 returns
  // early with a zero gradInput and a zero loss; dividing by the zero weight sum would
  // give NaN, which an optimizer step would write into the weights.
  it('gives a zero loss and gradient when every target is ignored, as THNN', () => {
    const x = tf.tensor2d(logp);
    const c = new ClassNLLCriterion();
    const cw = new ClassNLLCriterion([1, 2, 3]);
    try {
      c.forward(x, [-100, -100, -100]);
      expectClose(c.backward(x, [-100, -100, -100]), 0, { atol: 0 });
      for (const crit of [c, cw]) {
        expect(Math.abs(crit.forward(x, [-100, -100, -100]))).toBe(0);
        expectClose(crit.backward(x, [-100, -100, -100]), 0, { atol: 0 });
      }
      // a class weight of 0 for every counted sample is the same case
      const z = new ClassNLLCriterion([0, 0, 0]);
      expect(Math.abs(z.forward(x, ts))).toBe(0);
      expectClose(z.backward(x, ts), 0, { atol: 0 });
      z.dispose();
    } finally {
      c.dispose();
      cw.dispose();
      x.dispose();
    }
  });

  it('gives zero, not NaN, parameter gradients in the fused step when every target is ignored', () => {
    const model = new Sequential(new Linear(4, 3), new LogSoftMax());
    const c = new ClassNLLCriterion();
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 11);
    try {
      model.zeroGradParameters();
      expect(Math.abs(fusedBackward(model, c, x, [-100, -100, -100]))).toBe(0);
      expect(Math.abs(c.output)).toBe(0);
      for (const g of model.parameters()[1]) expectClose(g, 0, { atol: 0 });
      // and one counted target still gives a gradient
      expect(fusedBackward(model, c, x, [-100, 1, -100])).toBeGreaterThan(0);
      expect(model.parameters()[1].some((g) => tf.any(g.notEqual(0)).dataSync()[0])).toBe(true);
    } finally {
      model.dispose();
      c.dispose();
      x.dispose();
    }
  });
});
