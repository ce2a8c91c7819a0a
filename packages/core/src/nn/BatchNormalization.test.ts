import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { BatchNormalization } from './BatchNormalization';
import { Sequential } from './Sequential';
import { expectClose, expectFlatSteps } from './testing';

/** Batch norm over axis 0 written with sums: mean = Σx/n, var = Σ(x − mean)²/n. */
function refTrain(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  const n = x.shape[0];
  const mean = tf.sum(x, 0).div(n);
  const c = x.sub(mean);
  const v = tf.sum(c.square(), 0).div(n);
  return c
    .div(tf.sqrt(v.add(eps)))
    .mul(w)
    .add(b);
}

describe('BatchNormalization', () => {
  it('initialises as Torch: weight uniform(0,1), bias 0, running stats 0 and 1', () => {
    manualSeed(1);
    const m = new BatchNormalization(50);
    const w = Array.from(m.weight!.dataSync());
    expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...w)).toBeLessThan(1);
    expect(Math.max(...w) - Math.min(...w)).toBeGreaterThan(0.5);
    expect(Array.from(m.bias!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.runningMean.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(m.runningVar.dataSync()).every((v) => v === 1)).toBe(true);
    expect(m.numBatchesTracked.dtype).toBe('int32');
    expect(m.numBatchesTracked.shape).toEqual([]);
  });

  it('normalises with batch statistics and matches tf autodiff of a sum-based formula', () => {
    manualSeed(2);
    const m = new BatchNormalization(4, 1e-3);
    (m.bias as Variable).assign(tf.tensor1d([0.1, -0.2, 0.3, 0]));
    const x = tf.randomNormal([6, 4], 1, 2, 'float32', 5);
    const y = m.forward(x) as Tensor;
    const f = (xx: Tensor, w: Tensor, b: Tensor) => refTrain(xx, w, b, 1e-3);
    expectClose(y, f(x, m.weight!, m.bias!), { atol: 1e-5 });
    const dy = tf.randomNormal([6, 4], 0, 1, 'float32', 6);
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    const [rx, rw, rb] = tf.grads(f)([x, m.weight!, m.bias!], dy);
    expectClose(gx, rx, { atol: 1e-5 });
    expectClose(m.gradWeight!, rw, { atol: 1e-5 });
    expectClose(m.gradBias!, rb, { atol: 1e-5 });
  });

  it('updates the running statistics with momentum and the unbiased variance (two steps, hand-computed)', () => {
    const m = new BatchNormalization(2);
    const x1 = tf.tensor2d([
      [1, 2],
      [3, 6],
    ]); // mean [2, 4], unbiased var [2, 8]
    m.forward(x1);
    expectClose(m.runningMean, [0.2, 0.4], { atol: 1e-6 });
    expectClose(m.runningVar, [1.1, 1.7], { atol: 1e-6 });
    // backward re-runs the forward under autodiff: no second update
    m.backward(x1, tf.ones([2, 2]));
    m.updateGradInput(x1, tf.ones([2, 2]));
    expect(m.numBatchesTracked.dataSync()[0]).toBe(1);
    const x2 = tf.tensor2d([
      [0, 0],
      [2, -2],
      [4, 2],
    ]); // mean [2, 0], unbiased var [4, 4]
    m.forward(x2);
    expectClose(m.runningMean, [0.38, 0.36], { atol: 1e-6 });
    expectClose(m.runningVar, [1.39, 1.93], { atol: 1e-6 });
    expect(m.numBatchesTracked.dataSync()[0]).toBe(2);
    // evaluate mode changes nothing
    m.evaluate().forward(x2);
    expectClose(m.runningMean, [0.38, 0.36], { atol: 1e-6 });
    expect(m.numBatchesTracked.dataSync()[0]).toBe(2);
  });

  it('updates the running statistics once when apply() runs under a gradient tape (the fused path)', () => {
    const m = new BatchNormalization(2);
    const x = tf.tensor2d([
      [1, 2],
      [3, 6],
    ]);
    const w = m.weight as Variable;
    const { grads } = tf.variableGrads(
      () =>
        tf.sum(
          (m.apply(x) as Tensor).mul(
            tf.tensor2d([
              [1, 2],
              [3, 4],
            ]),
          ),
        ),
      [w],
    );
    expect(grads[w.name].shape).toEqual([2]);
    expectClose(m.runningMean, [0.2, 0.4], { atol: 1e-6 });
    expectClose(m.runningVar, [1.1, 1.7], { atol: 1e-6 });
    expect(m.numBatchesTracked.dataSync()[0]).toBe(1);
  });

  it('honours a custom momentum', () => {
    const m = new BatchNormalization(1, 1e-5, 0.5, false);
    m.forward(tf.tensor2d([[1], [3]])); // mean 2, unbiased var 2
    expectClose(m.runningMean, [1], { atol: 1e-6 });
    expectClose(m.runningVar, [1.5], { atol: 1e-6 });
  });

  it('normalises with the running statistics in evaluate mode, batched or not', () => {
    manualSeed(3);
    const m = new BatchNormalization(3);
    (m.runningMean as Variable).assign(tf.tensor1d([1, -1, 0.5]));
    (m.runningVar as Variable).assign(tf.tensor1d([4, 0.25, 1]));
    (m.bias as Variable).assign(tf.tensor1d([0, 1, 2]));
    m.evaluate();
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 9);
    const f = (xx: Tensor, w: Tensor, b: Tensor) =>
      xx
        .sub(tf.tensor1d([1, -1, 0.5]))
        .div(tf.sqrt(tf.tensor1d([4, 0.25, 1]).add(1e-5)))
        .mul(w)
        .add(b);
    const y = m.forward(x) as Tensor;
    expectClose(y, f(x, m.weight!, m.bias!), { atol: 1e-5 });
    const dy = tf.randomNormal([5, 3], 0, 1, 'float32', 10);
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    const [rx, rw, rb] = tf.grads(f)([x, m.weight!, m.bias!], dy);
    expectClose(gx, rx, { atol: 1e-5 });
    expectClose(m.gradWeight!, rw, { atol: 1e-5 });
    expectClose(m.gradBias!, rb, { atol: 1e-5 });
    const row = y.slice([2, 0], [1, 3]).reshape([3]); // y is freed by the next forward
    const one = m.forward(x.slice([2, 0], [1, 3]).reshape([3])) as Tensor;
    expect(one.shape).toEqual([3]);
    expectClose(one, row, { atol: 1e-6 });
  });

  it('has no parameters without affine', () => {
    const m = new BatchNormalization(3, 1e-5, 0.1, false);
    expect(m.parameters()[0]).toEqual([]);
    expect(Object.keys(m.stateDict())).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    const x = tf.tensor2d([
      [1, 2, 3],
      [3, 2, 5],
    ]);
    const y = m.forward(x) as Tensor;
    expectClose(y, refTrain(x, tf.ones([3]), tf.zeros([3]), 1e-5), { atol: 1e-5 });
  });

  it("uses PyTorch's state-dict keys and loads one strictly", () => {
    const m = new BatchNormalization(2);
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    m.loadStateDict({
      weight: tf.tensor1d([2, 3]),
      bias: tf.tensor1d([0.5, 0.25]),
      running_mean: tf.tensor1d([1, 2]),
      running_var: tf.tensor1d([3, 4]),
      num_batches_tracked: tf.scalar(7, 'int32'),
    });
    expect(Array.from(m.runningVar.dataSync())).toEqual([3, 4]);
    expect(m.numBatchesTracked.dataSync()[0]).toBe(7);
    expect(m.numBatchesTracked.dtype).toBe('int32');
    m.forward(
      tf.tensor2d([
        [0, 0],
        [1, 1],
      ]),
    );
    expect(m.numBatchesTracked.dataSync()[0]).toBe(8);
  });

  it('resets its running statistics with reset()', () => {
    const m = new BatchNormalization(2);
    m.forward(
      tf.tensor2d([
        [0, 5],
        [2, 1],
      ]),
    );
    m.reset();
    expect(Array.from(m.runningMean.dataSync())).toEqual([0, 0]);
    expect(Array.from(m.runningVar.dataSync())).toEqual([1, 1]);
    expect(m.numBatchesTracked.dataSync()[0]).toBe(0);
  });

  it("prints as Torch's __tostring__", () => {
    expect(new BatchNormalization(512).toString()).toBe('nn.BatchNormalization (2D) (512)');
  });

  it('names the module path in shape errors', () => {
    const net = new Sequential(new BatchNormalization(3));
    expect(() => net.forward(tf.zeros([2, 4]))).toThrow('Sequential.BatchNormalization(1): expected input [N,3] (a mini-batch in training mode), got [2,4]');
    expect(() => net.forward(tf.zeros([3]))).toThrow('Sequential.BatchNormalization(1): expected input [N,3]');
    expect(() => net.forward(tf.zeros([1, 3]))).toThrow(
      'Sequential.BatchNormalization(1): expected input more than 1 value per feature when training, got [1,3]',
    );
    net.evaluate();
    expect((net.forward(tf.zeros([3])) as Tensor).shape).toEqual([3]);
  });

  it('keeps the tensor count flat over training steps', () => {
    const m = new BatchNormalization(3);
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
    expectFlatSteps(m, x, dy);
  });
});
