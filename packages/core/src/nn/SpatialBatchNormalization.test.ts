import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { BatchNormalization } from './BatchNormalization';
import { Sequential } from './Sequential';
import { SpatialBatchNormalization } from './SpatialBatchNormalization';
import { expectClose } from './testing';

/** Per-channel batch norm of NHWC, computed on the [N·H·W, C] matrix with sums. */
function refTrain(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  const c = x.shape[3]!;
  const flat = x.reshape([-1, c]);
  const n = flat.shape[0];
  const mean = tf.sum(flat, 0).div(n);
  const cen = flat.sub(mean);
  const v = tf.sum(cen.square(), 0).div(n);
  return cen
    .div(tf.sqrt(v.add(eps)))
    .mul(w)
    .add(b)
    .reshape(x.shape);
}

describe('SpatialBatchNormalization', () => {
  it('is a BatchNormalization over N, H and W', () => {
    expect(new SpatialBatchNormalization(2)).toBeInstanceOf(BatchNormalization);
  });

  it('normalises per channel over N, H, W and matches tf autodiff of a reference', () => {
    manualSeed(4);
    const m = new SpatialBatchNormalization(3);
    (m.bias as Variable).assign(tf.tensor1d([0.5, 0, -1]));
    const x = tf.randomNormal([2, 3, 4, 3], 2, 3, 'float32', 7);
    const y = m.forward(x) as Tensor;
    const f = (xx: Tensor, w: Tensor, b: Tensor) => refTrain(xx, w, b, 1e-5);
    expectClose(y, f(x, m.weight!, m.bias!), { atol: 1e-5 });
    const dy = tf.randomNormal(x.shape, 0, 1, 'float32', 8);
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    const [rx, rw, rb] = tf.grads(f)([x, m.weight!, m.bias!], dy);
    expectClose(gx, rx, { atol: 1e-5 });
    expectClose(m.gradWeight!, rw, { atol: 1e-4 });
    expectClose(m.gradBias!, rb, { atol: 1e-4 });
  });

  it('updates running statistics over N·H·W values per channel (two steps, hand-computed)', () => {
    const m = new SpatialBatchNormalization(2);
    // channel 0: 1, 3, 5, 7 → mean 4, unbiased var 20/3; channel 1: all 2 → mean 2, var 0
    const x1 = tf.tensor4d([1, 2, 3, 2, 5, 2, 7, 2], [1, 2, 2, 2]);
    m.forward(x1);
    expectClose(m.runningMean, [0.4, 0.2], { atol: 1e-6 });
    expectClose(m.runningVar, [0.9 + 2 / 3, 0.9], { atol: 1e-6 });
    // channel 0: 0, 0, 0, 4 over N=2, H=1, W=2 → mean 1, unbiased var 12/3 = 4; channel 1: -1, 1, -1, 1 → mean 0, var 4/3
    const x2 = tf.tensor4d([0, -1, 0, 1, 0, -1, 4, 1], [2, 1, 2, 2]);
    m.forward(x2);
    expectClose(m.runningMean, [0.9 * 0.4 + 0.1, 0.9 * 0.2], { atol: 1e-6 });
    expectClose(m.runningVar, [0.9 * (0.9 + 2 / 3) + 0.4, 0.81 + 0.4 / 3], { atol: 1e-6 });
    expect(m.numBatchesTracked.dataSync()[0]).toBe(2);
  });

  it('uses the running statistics in evaluate mode, on [N,H,W,C] and [H,W,C]', () => {
    const m = new SpatialBatchNormalization(2, 1e-5, 0.1, false);
    (m.runningMean as Variable).assign(tf.tensor1d([1, -2]));
    (m.runningVar as Variable).assign(tf.tensor1d([4, 9]));
    m.evaluate();
    const x = tf.tensor4d([3, 1, 1, -2, 5, 4, -1, 7], [1, 2, 2, 2]);
    // (x − mean) / sqrt(var): channel 0: (3−1)/2 = 1, (1−1)/2 = 0, (5−1)/2 = 2, (−1−1)/2 = −1
    //                          channel 1: (1+2)/3 = 1, (−2+2)/3 = 0, (4+2)/3 = 2, (7+2)/3 = 3
    const expected = [1, 1, 0, 0, 2, 2, -1, 3];
    const y = m.forward(x) as Tensor;
    expectClose(y, tf.tensor4d(expected, [1, 2, 2, 2]), { atol: 1e-5 });
    const y3 = m.forward(x.reshape([2, 2, 2])) as Tensor;
    expect(y3.shape).toEqual([2, 2, 2]);
    expectClose(y3, tf.tensor3d(expected, [2, 2, 2]), { atol: 1e-5 });
  });

  it("uses PyTorch's BatchNorm2d state-dict keys", () => {
    const sd = new SpatialBatchNormalization(8).stateDict();
    expect(Object.keys(sd)).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(sd.running_mean.shape).toEqual([8]);
  });

  it("prints as Torch's __tostring__", () => {
    expect(new SpatialBatchNormalization(64).toString()).toBe('nn.SpatialBatchNormalization (4D) (64)');
  });

  it('names the module path in shape errors', () => {
    const net = new Sequential(new Sequential(new SpatialBatchNormalization(3)));
    expect(() => net.forward(tf.zeros([2, 4, 4, 2]))).toThrow(
      'Sequential.Sequential(1).SpatialBatchNormalization(1): expected input [N,H,W,3] (a mini-batch in training mode), got [2,4,4,2]',
    );
    expect(() => net.forward(tf.zeros([4, 4, 3]))).toThrow('expected input [N,H,W,3] (a mini-batch in training mode)');
    net.evaluate();
    expect(() => net.forward(tf.zeros([4, 4, 2]))).toThrow('expected input [N,H,W,3] or [H,W,3], got [4,4,2]');
  });
});
