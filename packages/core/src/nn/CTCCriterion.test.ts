import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Sequencer } from '../rnn/Sequencer';
import { tf } from '../tf';
import { fusedBackward } from '../train/fusedStep';
import { ModuleError, ShapeError } from '../util/errors';
import { CTCCriterion } from './CTCCriterion';
import { Linear } from './Linear';
import { LogSoftMax } from './LogSoftMax';
import { Sequential } from './Sequential';
import { expectClose } from './testing';

const logProbs = (shape: [number, number, number], seed: number): Tensor => tf.tidy(() => tf.logSoftmax(tf.randomNormal(shape, 0, 1.5, 'float32', seed), -1));

/** Every path of `steps` steps over `classes` classes whose collapse (merge repeats, drop blanks) is `label`. */
function paths(steps: number, classes: number, label: number[], blank: number): number[][] {
  const out: number[][] = [];
  const path = new Array<number>(steps).fill(0);
  const collapse = (p: number[]) => p.filter((k, t) => k !== blank && (t === 0 || k !== p[t - 1]));
  const visit = (t: number) => {
    if (t === steps) {
      const c = collapse(path);
      if (c.length === label.length && c.every((k, i) => k === label[i])) out.push([...path]);
      return;
    }
    for (let k = 0; k < classes; k++) {
      path[t] = k;
      visit(t + 1);
    }
  };
  visit(0);
  return out;
}

/**
 * −log p(label | input) of each sample by summing over every path (a tfjs
 * expression, so its autodiff is an independent gradient); [N].
 */
function bruteForce(x: Tensor, labels: number[][], lengths: number[], blank: number): Tensor {
  const C = x.shape[2] ?? 0;
  return tf
    .stack(
      labels.map((label, n) => {
        const T = lengths[n] ?? 0;
        const ps = paths(T, C, label, blank);
        if (ps.length === 0) return tf.scalar(Infinity);
        if (T === 0) return tf.scalar(0);
        const flat = x.slice([0, n, 0], [T, 1, C]).reshape([-1]);
        const idx = tf.tensor2d(
          ps.map((p) => p.map((k, t) => t * C + k)),
          [ps.length, T],
          'int32',
        );
        return tf.neg(tf.logSumExp(tf.sum(tf.gather(flat, idx), 1)));
      }),
    )
    .reshape([labels.length]);
}

describe('CTCCriterion', () => {
  // 4 steps, 3 samples, 3 classes: labels with a repeat, an empty label, and one input shortened.
  const labels = [[1, 1], [], [2, 1]];
  const lengths = [4, 4, 3];

  it('is −log of the summed path probabilities, reduced as PyTorch (mean over label lengths ≥ 1, sum, none)', () => {
    const x = logProbs([4, 3, 3], 1);
    const per = bruteForce(x, labels, lengths, 0);
    const want = Array.from(per.dataSync());
    expect(want.every(Number.isFinite)).toBe(true);
    const mean = new CTCCriterion();
    expect(mean.forward(x, { labels, inputLengths: lengths })).toBeCloseTo((want[0] / 2 + want[1] / 1 + want[2] / 2) / 3, 5);
    expectClose(mean.losses, want, { atol: 1e-5, rtol: 1e-5 });
    const sum = new CTCCriterion({ reduction: 'sum' });
    expect(sum.forward(x, { labels, inputLengths: lengths })).toBeCloseTo(want[0] + want[1] + want[2], 4);
    const none = new CTCCriterion({ reduction: 'none' });
    expect(none.forward(x, { labels, inputLengths: lengths })).toBeCloseTo(want[0] + want[1] + want[2], 4);
    expectClose(none.losses, want, { atol: 1e-5, rtol: 1e-5 });
    tf.dispose([x, per]);
  });

  it('gives the gradient of the path sum with respect to the log-probabilities, zero past each input length', () => {
    const x = logProbs([4, 3, 3], 2);
    for (const [reduction, weights] of [
      ['mean', [1 / 6, 1 / 3, 1 / 6]],
      ['sum', [1, 1, 1]],
      ['none', [1, 1, 1]],
    ] as const) {
      const c = new CTCCriterion({ reduction });
      const want = tf.grad((v: Tensor) => tf.sum(tf.mul(bruteForce(v, labels, lengths, 0), weights as unknown as number[])))(x);
      const got = c.backward(x, { labels, inputLengths: lengths }) as Tensor;
      expectClose(got, want, { atol: 1e-5, what: reduction });
      expectClose(got.slice([3, 2, 0], [1, 1, 3]), [0, 0, 0], { atol: 0 });
      want.dispose();
      c.dispose();
    }
    x.dispose();
  });

  it('takes the blank at any id, and the labels alone', () => {
    const x = logProbs([5, 2, 4], 3);
    const ls = [
      [0, 3, 3],
      [1, 0],
    ];
    const want1 = tf.tidy(() => tf.sum(bruteForce(x, ls, [5, 5], 2)).dataSync()[0]);
    const c = new CTCCriterion({ blank: 2, reduction: 'sum' });
    expect(c.forward(x, ls)).toBeCloseTo(want1, 4);
    const want = tf.grad((v: Tensor) => tf.sum(bruteForce(v, ls, [5, 5], 2)))(x);
    expectClose(c.backward(x, ls), want, { atol: 1e-5 });
    tf.dispose([x, want]);
    c.dispose();
  });

  it('batchFirst takes [N,T,C] and gives the same loss and the transposed gradient', () => {
    const x = logProbs([6, 3, 4], 4);
    const xb = x.transpose([1, 0, 2]);
    const target = { labels: [[1, 2], [3], [1, 1, 2]], inputLengths: [6, 2, 5] };
    const tm = new CTCCriterion();
    const bf = new CTCCriterion({ batchFirst: true });
    expect(bf.forward(xb, target)).toBeCloseTo(tm.forward(x, target), 5);
    const g = tm.backward(x, target) as Tensor;
    const gb = bf.backward(xb, target) as Tensor;
    expect(gb.shape).toEqual([3, 6, 4]);
    const gbt = gb.transpose([1, 0, 2]);
    expectClose(gbt, g, { atol: 1e-6 });
    tf.dispose([x, xb, gbt]);
    tm.dispose();
    bf.dispose();
  });

  it('gives +∞ for an impossible sample (repeats need a blank between), 0 with zeroInfinity, and a zero, finite gradient for it', () => {
    const x = logProbs([3, 2, 3], 5);
    // [1,1,1] needs 5 steps, [1,2] fits in 3.
    const target = {
      labels: [
        [1, 1, 1],
        [1, 2],
      ],
    };
    const possible = tf.tidy(() => bruteForce(x, target.labels, [3, 3], 0).dataSync()[1]);
    for (const zeroInfinity of [false, true]) {
      const c = new CTCCriterion({ zeroInfinity });
      const loss = c.forward(x, target);
      expect(c.losses[0]).toBe(zeroInfinity ? 0 : Infinity);
      expect(c.losses[1]).toBeCloseTo(possible, 5);
      expect(loss).toEqual(zeroInfinity ? expect.closeTo(possible / 2 / 2, 5) : Infinity);
      const g = c.backward(x, target) as Tensor;
      const gs = g.dataSync();
      expect(gs.every(Number.isFinite)).toBe(true);
      expectClose(g.slice([0, 0, 0], [3, 1, 3]), new Array(9).fill(0), { atol: 0 });
      expect(tf.tidy(() => tf.sum(tf.abs(g.slice([0, 1, 0], [3, 1, 3]))).dataSync()[0])).toBeGreaterThan(0.1);
      c.dispose();
    }
    // A label of 2 in 1 step, and an empty input with an empty label (loss 0).
    const c = new CTCCriterion({ reduction: 'none' });
    c.forward(x, { labels: [[1, 2], []], inputLengths: [1, 0] });
    expect(c.losses).toEqual([Infinity, 0]);
    x.dispose();
  });

  it('gives a finite gradient where a class has probability 0 (log-probability −∞)', () => {
    const x = tf.tidy(() => {
      const p = tf.tensor3d([[[0.5, 0.5, 0]], [[0.2, 0.3, 0.5]], [[0, 0.4, 0.6]]]);
      return tf.log(p);
    });
    const c = new CTCCriterion({ reduction: 'sum' });
    // paths for [1, 2]: 1 2 2, 1 0 2, 1 1 2, 0 1 2 (0 is blank): 0.5·(0.5·0.6 + 0.2·0.6 + 0.3·0.6) + 0.5·0.3·0.6
    expect(c.forward(x, [[1, 2]])).toBeCloseTo(-Math.log(0.5 * (0.3 + 0.12 + 0.18) + 0.09), 5);
    const g = c.backward(x, [[1, 2]]) as Tensor;
    expect(g.dataSync().every(Number.isFinite)).toBe(true);
    const perStep = tf.sum(g, 2);
    expectClose(perStep, [[-1], [-1], [-1]], { atol: 1e-6 });
    tf.dispose([x, perStep]);
    c.dispose();
  });

  it('stays accurate over 200 steps: finite, and the occupancies of each step sum to 1', () => {
    const T = 200;
    const x = logProbs([T, 2, 6], 6);
    const label = Array.from({ length: 60 }, (_, i) => 1 + (i % 5));
    const c = new CTCCriterion({ reduction: 'sum' });
    const loss = c.forward(x, { labels: [label, [3, 3, 3]], inputLengths: [T, 150] });
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeGreaterThan(100);
    const g = c.backward(x, { labels: [label, [3, 3, 3]], inputLengths: [T, 150] }) as Tensor;
    const perStep = tf.sum(g, 2);
    const want = tf.tidy(() => tf.stack([tf.fill([T], -1), tf.concat([tf.fill([150], -1), tf.zeros([50])])], 1));
    expectClose(perStep, want, { atol: 1e-5 });
    tf.dispose([x, perStep, want]);
    c.dispose();
  });

  it('gives the same gradients inside the fused training step as the classic loop', () => {
    const make = () => new Sequential(new Sequencer(new Sequential(new Linear(5, 4), new LogSoftMax())));
    const a = make();
    const b = make();
    b.loadStateDict(a.stateDict());
    const x = tf.randomNormal([7, 3, 5], 0, 1, 'float32', 7);
    const target = { labels: [[1, 2, 2], [3], []], inputLengths: [7, 5, 6] };
    const c = new CTCCriterion();
    const y = a.forward(x) as Tensor;
    const loss = c.forward(y, target);
    a.zeroGradParameters();
    a.backward(x, c.backward(y, target));
    b.zeroGradParameters();
    expect(fusedBackward(b, c, x, target)).toBeCloseTo(loss, 5);
    const ga = a.gradStateDict();
    const gb = b.gradStateDict();
    expect(Object.keys(ga).length).toBeGreaterThan(0);
    for (const k of Object.keys(ga)) {
      expect(tf.sum(tf.abs(ga[k])).dataSync()[0]).toBeGreaterThan(1e-3);
      expectClose(gb[k], ga[k], { atol: 1e-6, what: k });
    }
    tf.dispose([x, ...Object.values(ga), ...Object.values(gb)]);
    a.dispose();
    b.dispose();
    c.dispose();
  });

  it('keeps the tensor count flat over repeated forward, backward and fused steps', () => {
    const m = new Sequencer(new Sequential(new Linear(3, 4), new LogSoftMax()));
    const x = tf.randomNormal([6, 2, 3], 0, 1, 'float32', 8);
    const target = {
      labels: [
        [1, 2],
        [3, 3],
      ],
    };
    const c = new CTCCriterion();
    const step = () => {
      const y = m.forward(x) as Tensor;
      c.forward(y, target);
      m.zeroGradParameters();
      m.backward(x, c.backward(y, target));
      fusedBackward(m, c, x, target);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    c.dispose();
    x.dispose();
  });

  it('rejects bad input with errors naming the criterion, and leaks nothing on the way', () => {
    const x = logProbs([4, 2, 3], 9);
    const flat = x.reshape([8, 3]);
    const c = new CTCCriterion();
    const before = tf.memory().numTensors;
    const bad: [unknown, unknown, RegExp, new (...args: never[]) => Error][] = [
      [x, [[1], [3]], /CTCCriterion: label 3 of sample 1 is out of bounds: expected a class index in \[0, 2\] \(C = 3\) other than the blank 0/, ModuleError],
      [x, [[0], [1]], /CTCCriterion: label 0 of sample 0 .* other than the blank 0/, ModuleError],
      [x, [[1.5], [1]], /label 1\.5 of sample 0/, ModuleError],
      [x, [[1]], /CTCCriterion: expected 2 label sequences \(the batch size\), got 1/, ModuleError],
      [x, { labels: [[1], [2]], inputLengths: [4, 5] }, /CTCCriterion: input length 5 of sample 1 is outside \[0, 4\] \(T = 4\)/, ModuleError],
      [x, { labels: [[1], [2]], inputLengths: [4] }, /CTCCriterion: expected 2 input lengths \(the batch size\), got 1/, ModuleError],
      [x, 3, /CTCCriterion: expected a target \{ labels/, ModuleError],
      [flat, [[1], [2]], /CTCCriterion: expected input \[T,N,C\] log-probabilities, got \[8,3\]/, ShapeError],
    ];
    for (const [input, target, msg, cls] of bad) {
      expect(() => c.forward(input as Tensor, target as number[][])).toThrow(msg);
      expect(() => c.backward(input as Tensor, target as number[][])).toThrow(cls);
    }
    expect(() => new CTCCriterion({ blank: 3 }).forward(x, [[1], [2]])).toThrow(/CTCCriterion: blank 3 is out of bounds/);
    expect(() => new CTCCriterion({ blank: -1 })).toThrow(RangeError);
    expect(() => new CTCCriterion({ reduction: 'avg' as 'mean' })).toThrow(/reduction must be 'mean', 'sum' or 'none'/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, flat]);
  });

  it('prints as Torch and describes itself for saving', () => {
    const c = new CTCCriterion({ blank: 2, reduction: 'sum', zeroInfinity: true });
    expect(c.toString()).toBe('nn.CTCCriterion');
    expect(c.toSpec()).toEqual({ type: 'CTCCriterion', args: [{ blank: 2, reduction: 'sum', zeroInfinity: true, batchFirst: false }] });
  });
});
