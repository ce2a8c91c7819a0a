import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { LookupTable } from './LookupTable';
import { Sequential } from './Sequential';
import { expectClose, expectFlatSteps } from './testing';

/** Lookup as a one-hot matrix product, optionally with the padding rows' one-hots zeroed in the gradient path. */
function oneHotLookup(idx: Tensor, w: Tensor): Tensor {
  const [nIndex, nOut] = w.shape;
  return tf
    .oneHot(idx.reshape([-1]), nIndex)
    .cast('float32')
    .matMul(w)
    .reshape([...idx.shape, nOut]);
}

describe('LookupTable', () => {
  it("initialises normal(0, 1), as Torch's reset()", () => {
    manualSeed(1);
    const m = new LookupTable(200, 50);
    const w = Array.from(m.weight.dataSync());
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });

  it('looks up rows for [N] and [N, L] indices', () => {
    manualSeed(2);
    const m = new LookupTable(5, 3);
    const w = m.weight.arraySync() as number[][];
    const y1 = m.forward(tf.tensor1d([4, 0, 4], 'int32')) as Tensor;
    expect(y1.arraySync()).toEqual([w[4], w[0], w[4]]);
    const y2 = m.forward(
      tf.tensor2d(
        [
          [1, 2],
          [3, 1],
        ],
        [2, 2],
        'int32',
      ),
    ) as Tensor;
    expect(y2.shape).toEqual([2, 2, 3]);
    expect(y2.arraySync()).toEqual([
      [w[1], w[2]],
      [w[3], w[1]],
    ]);
    // float indices are accepted
    expect((m.forward(tf.tensor1d([2, 0])) as Tensor).arraySync()).toEqual([w[2], w[0]]);
  });

  it('accumulates gradients into repeated rows, as tf autodiff of a one-hot product; gradInput is zeros', () => {
    manualSeed(3);
    const m = new LookupTable(6, 4);
    const idx = tf.tensor2d(
      [
        [1, 3, 1],
        [5, 1, 0],
      ],
      [2, 3],
      'int32',
    );
    const y = m.forward(idx) as Tensor;
    expectClose(y, oneHotLookup(idx, m.weight), { atol: 1e-6 });
    const dy = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4);
    m.zeroGradParameters();
    const gx = m.backward(idx, dy, 0.5) as Tensor;
    const [rw] = tf.grads((w: Tensor) => oneHotLookup(idx, w))([m.weight], dy);
    expectClose(m.gradWeight, rw.mul(0.5), { atol: 1e-5 });
    expect(gx.shape).toEqual([2, 3]);
    expect(Array.from(gx.dataSync()).every((v) => v === 0)).toBe(true);
    // accGradParameters alone accumulates on top
    m.accGradParameters(idx, dy);
    expectClose(m.gradWeight, rw.mul(1.5), { atol: 1e-5 });
    // untouched rows (2, 4) have no gradient
    const g = m.gradWeight.arraySync() as number[][];
    expect(g[2].every((v) => v === 0) && g[4].every((v) => v === 0)).toBe(true);
  });

  it('gives the padding row no gradient (padding_idx), still looking it up', () => {
    manualSeed(5);
    for (const pad of [2, -4]) {
      const m = new LookupTable(6, 3, pad);
      expect(m.paddingValue).toBe(2);
      const idx = tf.tensor1d([2, 0, 2, 5], 'int32');
      const y = m.forward(idx) as Tensor;
      expect((y.arraySync() as number[][])[0]).toEqual((m.weight.arraySync() as number[][])[2]);
      const dy = tf.randomNormal([4, 3], 0, 1, 'float32', 6);
      m.zeroGradParameters();
      m.backward(idx, dy);
      // reference: the gradient of a lookup that sees the padding positions as constants
      const keep = tf.tensor1d([0, 1, 0, 1]).expandDims(1);
      const [rw] = tf.grads((w: Tensor) => oneHotLookup(idx, w).mul(keep))([m.weight], dy);
      expectClose(m.gradWeight, rw, { atol: 1e-6 });
      expect((m.gradWeight.arraySync() as number[][])[2]).toEqual([0, 0, 0]);
    }
    expect(() => new LookupTable(4, 2, 4)).toThrow('paddingValue 4 out of range');
  });

  it('renormalises the looked-up rows above maxNorm (2-norm and 1-norm)', () => {
    const m = new LookupTable(4, 2, undefined, 1);
    (m.weight as Variable).assign(
      tf.tensor2d([
        [3, 4], // norm 5 → scaled to 1
        [0.3, 0.4], // below maxNorm
        [6, 8], // above, but not looked up
        [0, -2], // norm 2 → scaled to 1
      ]),
    );
    const y = m.forward(tf.tensor1d([0, 1, 3, 0], 'int32')) as Tensor;
    const w = m.weight.arraySync() as number[][];
    const s = 1 / (5 + 1e-7);
    const want = [
      [3 * s, 4 * s],
      [0.3, 0.4],
      [6, 8],
      [0, -2 / (2 + 1e-7)],
    ];
    expectClose(w, want, { atol: 5e-7 }); // toBeCloseTo(·, 6)'s bound
    // the output uses the renormalised rows
    expect((y.arraySync() as number[][])[0][1]).toBeCloseTo(0.8, 6);
    m.setNormType(1).setMaxNorm(0.5);
    m.forward(tf.tensor1d([1], 'int32'));
    const r1 = (m.weight.arraySync() as number[][])[1];
    expect(Math.abs(r1[0]) + Math.abs(r1[1])).toBeCloseTo(0.5, 6);
  });

  it("uses nn.Embedding's state-dict key and layout", () => {
    const m = new LookupTable(7, 3);
    expect(m.stateShapes()).toEqual(new Map([['weight', [7, 3]]]));
    const w = tf.randomNormal([7, 3], 0, 1, 'float32', 1);
    m.loadStateDict({ weight: w });
    expectClose(m.stateDict().weight, w, { atol: 0 });
  });

  it("prints as Torch's default", () => {
    expect(new LookupTable(10, 4).toString()).toBe('nn.LookupTable');
  });

  it('names the module path in index errors', () => {
    const net = new Sequential(new LookupTable(5, 2));
    expect(() => net.forward(tf.tensor1d([0, 5], 'int32'))).toThrow('Sequential.LookupTable(1): expected input indices in [0, 4], got indices in [0, 5]');
    expect(() => net.forward(tf.tensor1d([-1, 2], 'int32'))).toThrow('got indices in [-1, 2]');
    expect(() => net.forward(tf.zeros([2, 2, 2], 'int32'))).toThrow('Sequential.LookupTable(1): expected input [N] or [N,L] (indices), got [2,2,2]');
  });

  it('trains with a flat tensor count', () => {
    const m = new LookupTable(10, 4, 0);
    const idx = tf.tensor2d(
      [
        [1, 0, 3],
        [3, 9, 0],
      ],
      [2, 3],
      'int32',
    );
    const dy = tf.ones([2, 3, 4]);
    expectFlatSteps(m, idx, dy);
  });
});
