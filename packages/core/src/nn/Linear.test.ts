import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { StateDictError } from '../util/errors';
import { manualSeed } from '../util/random';
import { Linear } from './Linear';
import { Sequential } from './Sequential';
import { expectClose, expectFlatSteps, maxAbsDiff } from './testing';

/** Linear(3, 2) with W = [[1, 2, 3], [4, 5, 6]] ([out, in], as Torch) and b = [0.5, -1]. */
function handMade(withBias = true): Linear {
  const m = new Linear(3, 2, withBias);
  const sd: Record<string, Tensor> = {
    weight: tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]),
  };
  if (withBias) sd.bias = tf.tensor1d([0.5, -1]);
  m.loadStateDict(sd);
  tf.dispose(Object.values(sd));
  return m;
}

/** y = x·Wᵀ + b, written independently of the module (transpose, then a plain matMul). */
const affine = (x: Tensor, w: Tensor, b?: Tensor) => {
  const y = tf.matMul(x, tf.transpose(w));
  return b ? y.add(b) : y;
};

describe('Linear', () => {
  it("keeps Torch's [out, in] weight and computes x·Wᵀ + b (hand-computed)", () => {
    const m = handMade();
    expect(m.weight.shape).toEqual([2, 3]);
    expect(m.bias!.shape).toEqual([2]);
    expect(m.stateShapes()).toEqual(
      new Map([
        ['weight', [2, 3]],
        ['bias', [2]],
      ]),
    );
    // rows: [1, 0, -1]·W = [1 − 3, 4 − 6] = [-2, -2]; [2, 1, 0]·W = [2 + 2, 8 + 5] = [4, 13]; + b
    const x = tf.tensor2d([
      [1, 0, -1],
      [2, 1, 0],
    ]);
    expectClose(
      m.forward(x),
      [
        [-1.5, -3],
        [4.5, 12],
      ],
      { atol: 1e-6 },
    );
    // an unbatched [in] input gives an [out] output
    const y1 = m.forward(tf.tensor1d([2, 1, 0])) as Tensor;
    expect(y1.shape).toEqual([2]);
    expectClose(y1, [4.5, 12], { atol: 1e-6 });
    // apply (the path the fused step records) agrees with forward
    expectClose(
      m.apply(x),
      [
        [-1.5, -3],
        [4.5, 12],
      ],
      { atol: 1e-6 },
    );
    m.dispose();
    x.dispose();
  });

  it('without bias: only a weight, y = x·Wᵀ, and Torch prints " without bias"', () => {
    const m = handMade(false);
    expect(m.bias).toBeUndefined();
    expect(m.gradBias).toBeUndefined();
    expect(m.parameters()[0]).toHaveLength(1);
    expect(Object.keys(m.stateDict())).toEqual(['weight']);
    expectClose(m.forward(tf.tensor2d([[1, 0, -1]])), [[-2, -2]], { atol: 1e-6 });
    expect(m.toString()).toBe('nn.Linear(3 -> 2) without bias');
    expect(new Linear(10, 20).toString()).toBe('nn.Linear(10 -> 20)');
    m.dispose();
  });

  it('backward matches tf.grads of the independent formula: gradInput, gradWeight, gradBias', () => {
    manualSeed(3);
    const m = new Linear(5, 4);
    const x = tf.randomNormal([6, 5], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([6, 4], 0, 1, 'float32', 2);
    const [rx, rw, rb] = tf.grads((xx: Tensor, w: Tensor, b: Tensor) => affine(xx, w, b))([x, m.weight, m.bias!], dy);
    expectClose(m.forward(x), affine(x, m.weight, m.bias), { atol: 1e-5 });
    m.zeroGradParameters();
    expectClose(m.backward(x, dy), rx, { atol: 1e-5 });
    expectClose(m.gradWeight, rw, { atol: 1e-5 });
    expectClose(m.gradBias!, rb, { atol: 1e-5 });
    // and by hand: gradWeight = dyᵀ·x ([out, in]), gradBias = Σ_n dy, gradInput = dy·W
    expectClose(m.gradWeight, tf.matMul(tf.transpose(dy), x), { atol: 1e-5 });
    expectClose(m.gradBias!, tf.sum(dy, 0), { atol: 1e-5 });
    expectClose(m.gradInput, tf.matMul(dy, m.weight), { atol: 1e-5 });
    // Torch's accumulation: backward(x, dy, 0.5) adds half again; updateGradInput alone adds nothing
    m.backward(x, dy, 0.5);
    expectClose(m.gradWeight, rw.mul(1.5), { atol: 1e-5 });
    expectClose(m.gradBias!, rb.mul(1.5), { atol: 1e-5 });
    expectClose(m.updateGradInput(x, dy), rx, { atol: 1e-5 });
    expectClose(m.gradWeight, rw.mul(1.5), { atol: 1e-5 });
    m.zeroGradParameters();
    m.accGradParameters(x, dy, 2);
    expectClose(m.gradWeight, rw.mul(2), { atol: 1e-5 });
    expectClose(m.gradBias!, rb.mul(2), { atol: 1e-5 });
    m.dispose();
  });

  it('an unbatched input back-propagates as a batch of one', () => {
    const m = handMade();
    const x = tf.tensor1d([1, -2, 0.5]);
    const dy = tf.tensor1d([2, -1]);
    m.forward(x);
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    expect(gx.shape).toEqual([3]);
    expectClose(gx, [2 * 1 - 4, 2 * 2 - 5, 2 * 3 - 6], { atol: 1e-6 }); // dy·W
    expectClose(
      m.gradWeight,
      [
        [2, -4, 1],
        [-1, 2, -0.5],
      ],
      { atol: 1e-6 },
    ); // dy ⊗ x
    expectClose(m.gradBias!, [2, -1], { atol: 0 });
    m.dispose();
  });

  it('keeps W in the graph under a tape: apply() differentiates with respect to the weight', () => {
    const m = handMade();
    const x = tf.tensor2d([
      [1, 0, -1],
      [2, 1, 0],
    ]);
    const dy = tf.tensor2d([
      [1, 2],
      [-1, 0.5],
    ]);
    m.forward(x); // fills the cached Wᵀ that plain forwards use
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x) as Tensor, dy)), [m.weight as Variable]);
    expectClose(grads[(m.weight as Variable).name], tf.matMul(tf.transpose(dy), x), { atol: 1e-6 });
    value.dispose();
    m.dispose();
  });

  it('a forward after updateParameters or loadStateDict uses the new weights, not a stale Wᵀ', () => {
    manualSeed(4);
    const m = new Linear(3, 2);
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 5);
    const dy = tf.randomNormal([4, 2], 0, 1, 'float32', 6);
    m.forward(x);
    m.zeroGradParameters();
    m.backward(x, dy);
    const w = m.weight.sub(m.gradWeight.mul(0.1));
    const b = m.bias!.sub(m.gradBias!.mul(0.1));
    m.updateParameters(0.1);
    expectClose(m.weight, w, { atol: 1e-6 });
    expectClose(m.forward(x), affine(x, w, b), { atol: 1e-5 });
    const w2 = tf.tensor2d([
      [0, 1, 0],
      [0, 0, 1],
    ]);
    m.loadStateDict({ weight: w2, bias: tf.zeros([2]) });
    expectClose(m.forward(x), affine(x, w2), { atol: 1e-6 });
    m.dispose();
  });

  it("initialises uniformly within ±1/√inputSize, reproducibly from manualSeed, as Torch's reset()", () => {
    manualSeed(5);
    const m = new Linear(50, 40);
    const s = 1 / Math.sqrt(50);
    const w = m.weight.dataSync();
    const b = m.bias!.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(s);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * s);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(s);
    expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(0.5 * s);
    // roughly zero-mean: the mean of 2000 U(−s, s) draws has sd s/√6000
    expect(Math.abs(Array.from(w).reduce((a, v) => a + v, 0) / w.length)).toBeLessThan((4 * s) / Math.sqrt(6000));
    manualSeed(5);
    const m2 = new Linear(50, 40);
    expectClose(m2.weight, m.weight, { atol: 0 });
    expectClose(m2.bias!, m.bias!, { atol: 0 });
    m2.reset();
    expect(maxAbsDiff(m2.weight, m.weight)).toBeGreaterThan(0.5 * s); // redrawn
    m.dispose();
    m2.dispose();
  });

  // Torch's Linear:reset(stdv) draws from U(−stdv·√3, stdv·√3) (stdv is the
  // standard deviation), as SpatialConvolution.reset(stdv) does here.
  it("reset(stdv) draws within ±stdv·√3, as Torch's Linear:reset(stdv)", () => {
    manualSeed(6);
    const m = new Linear(50, 40).reset(0.1);
    const w = m.weight.dataSync();
    try {
      expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.1 * Math.sqrt(3));
      // 2000 draws from U(−0.173, 0.173): some exceed 0.1 (all below has probability 0.58^2000)
      expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.1);
    } finally {
      m.dispose();
    }
  });

  it('names the module path and shapes in a shape error', () => {
    expect(() => new Linear(3, 2).forward(tf.zeros([2, 4]))).toThrow('Linear: expected input [N,3] or [3], got [2,4]');
    expect(() => new Linear(3, 2).forward(tf.zeros([2, 2, 3]))).toThrow('Linear: expected input [N,3] or [3], got [2,2,3]');
    const net = new Sequential(new Linear(4, 5), new Linear(6, 2));
    expect(() => net.forward(tf.zeros([1, 4]))).toThrow('Sequential.Linear(2): expected input [N,6] or [6], got [1,5]');
    expect(() => new Linear(3, 2).forward([tf.zeros([3])])).toThrow('Linear: expected input [N,3] or [3], got a table {[3]}');
  });

  it('rejects a misshapen state dict: a PyTorch weight is [out, in], not [in, out]', () => {
    const m = handMade();
    const before = m.weight.arraySync();
    const t = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => m.loadStateDict({ weight: t, bias: tf.zeros([2]) })).toThrow(StateDictError);
    expect(() => m.loadStateDict({ weight: t, bias: tf.zeros([2]) })).toThrow('misshapen keys: weight (expected [2,3], got [3,2])');
    expect(m.weight.arraySync()).toEqual(before);
    m.dispose();
  });

  it('keeps the tensor count flat over training steps (the cached Wᵀ is replaced, not leaked)', () => {
    manualSeed(7);
    const m = new Linear(6, 3);
    const x = tf.randomNormal([4, 6], 0, 1, 'float32', 8);
    const dy = tf.randomNormal([4, 3], 0, 1, 'float32', 9);
    const n = expectFlatSteps(m, x, dy, 10);
    // dispose frees what the module made, the cached transpose included
    m.dispose();
    expect(tf.memory().numTensors).toBeLessThan(n);
    const before = tf.memory().numTensors;
    const m2 = new Linear(6, 3);
    m2.forward(x);
    m2.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    dy.dispose();
  });
});
