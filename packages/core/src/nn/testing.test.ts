import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { compareClose, expectClose, maxAbsDiff } from './testing';

describe('expectClose (test helper)', () => {
  it('passes within atol and fails past it, naming the worst element with both values', () => {
    const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    expectClose(t, [1, 2, 3, 4, 5, 6.000009], { atol: 1e-5 });
    expectClose(t, [1, 2, 3.00002, 4, 5, 6], { atol: 0.25e-4 });
    expect(() => expectClose(t, [1, 2.5, 3, 4, 5, 6.1], { atol: 1e-3 })).toThrow(
      /2 of 6 elements off; worst at \[0,1\] \(flat 1\): actual 2, expected 2\.5, \|diff\| 5\.000e-1 \(500× the tolerance\)/,
    );
    expect(() => expectClose(t, tf.tensor2d([1, 2, 3, 4, 5, 7], [2, 3]), { atol: 0.5, what: 'output' })).toThrow(
      /^output: not close \(atol 0\.5\):\n1 of 6 elements off; worst at \[1,2\]/,
    );
    t.dispose();
  });

  it('relative: |a − b| ≤ max(atol, rtol·|b|)', () => {
    expectClose([1000.05, 0.00005], [1000, 0], { atol: 1e-4, rtol: 1e-4 });
    expect(() => expectClose([1000.2], [1000], { atol: 1e-4, rtol: 1e-4 })).toThrow(/2\.00× the tolerance/);
    expect(() => expectClose([0.0002], [0], { atol: 1e-4, rtol: 1e-4 })).toThrow(/actual 0\.0002, expected 0,/);
    expect(() => expectClose([0.5], [0], { rtol: 1 })).toThrow(/1 of 1/); // rtol alone: zero allows nothing
  });

  it('atol 0 asks for equality; NaN never passes; equal infinities do', () => {
    expectClose([1, -2, Infinity], new Float32Array([1, -2, Infinity]), { atol: 0 });
    expect(() => expectClose([1], [1 + 1e-12], { atol: 0 })).toThrow();
    expect(() => expectClose([NaN], [NaN], { atol: 1 })).toThrow(/actual NaN, expected NaN/);
    expect(() => expectClose([0, NaN], [0, 0], { atol: 1 })).toThrow(/worst at \[1\]/);
    expect(maxAbsDiff([1, NaN, 2], [1, 0, 0])).toBeNaN();
  });

  it('checks shapes of tensors and nested arrays, lengths of flat arrays, and broadcasts a number', () => {
    const row = tf.tensor1d([1, 2, 3]);
    const mat = tf.tensor2d([1, 2, 3], [1, 3]);
    expect(() => expectClose(mat, row, { atol: 1 })).toThrow(/shape \[1,3\] vs shape \[3\] expected/);
    expect(() => expectClose(mat, [[1], [2], [3]], { atol: 1 })).toThrow(/shape \[1,3\] vs shape \[3,1\] expected/);
    expectClose(mat, [[1, 2, 3]], { atol: 0 });
    expectClose(mat, [1, 2, 3], { atol: 0 });
    expect(() => expectClose(row, [1, 2], { atol: 1 })).toThrow(/shape \[3\] vs 2 values expected/);
    expectClose(tf.tensor1d([0.5, 0.5]), 0.5, { atol: 0 });
    expect(() => expectClose(tf.tensor1d([0.5, 0.6]), 0.5, { atol: 0.05 })).toThrow(/worst at \[1\]/);
    expect(() => maxAbsDiff(mat, row)).toThrow(/shape/);
    tf.dispose([row, mat]);
  });

  it('compares tables element by element and says where', () => {
    const a = [tf.tensor1d([1, 2]), [tf.tensor1d([3]), tf.tensor1d([4])]];
    expectClose(
      a,
      [
        [1, 2],
        [[3], [4]],
      ],
      { atol: 0 },
    );
    expect(() =>
      expectClose(
        a,
        [
          [1, 2],
          [[3], [4.5]],
        ],
        { atol: 0.1 },
      ),
    ).toThrow(/^not close \(atol 0\.1\):\n\[1\]\[1\]: 1 of 1/);
    expect(() => expectClose(a, [[1, 2]], { atol: 1 })).toThrow(/a table of 2 vs a table of 1 expected/);
    expect(
      maxAbsDiff(a, [
        [1, 2.25],
        [[3], [3.5]],
      ]),
    ).toBe(0.5);
    const c = compareClose(
      a,
      [
        [1, 2.25],
        [[3], [3.5]],
      ],
      { atol: 0.1 },
    );
    expect(c).toMatchObject({ pass: false, where: '[1][1]', index: 0, actual: 4, expected: 3.5, ratio: 5, shapesMatch: true });
    tf.dispose(a.flat());
  });

  it('makes no tensors', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    expectClose(x, x, { atol: 0 });
    maxAbsDiff(x, [1, 2, 4]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
