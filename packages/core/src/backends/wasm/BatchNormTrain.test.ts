/**
 * The batch-norm kernels (BatchNormTrain, BatchNormTrainGrad) against a
 * float64 reference, at channel counts that take the SIMD loops (multiples of
 * 4) and the JavaScript ones' 4-wide, 2-wide and remainder loops, and through SpatialBatchNormalization against the cpu
 * backend (which has no kernel, so composes tfjs ops).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { SpatialBatchNormalization } from '../../nn/SpatialBatchNormalization';
import { expectClose } from '../../nn/testing';
import { tf, type Tensor } from '../../tf';
import { BatchNormTrain, BatchNormTrainGrad } from '../kernelNames';
import { channelKernels } from './channelKernels';

let seed = 7;
function rand(n: number, offset = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    a[i] = offset + 4 * (seed / 2147483648 - 0.5);
  }
  return a;
}

/** Batch norm and its gradient in float64, over the rows of x [M, C]. */
function reference(x: Float32Array, dy: Float32Array, w: Float32Array, b: Float32Array, c: number, eps: number) {
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / m;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / m;
  const inv = variance.map((v) => 1 / Math.sqrt(v + eps));
  const y = x.map((v, i) => (v - mean[i % c]) * inv[i % c] * w[i % c] + b[i % c]);
  const db = new Float64Array(c);
  const dw = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    db[i % c] += dy[i];
    dw[i % c] += dy[i] * (x[i] - mean[i % c]) * inv[i % c];
  }
  const dx = x.map((v, i) => {
    const j = i % c;
    const xhat = (v - mean[j]) * inv[j];
    return ((w[j] * inv[j]) / m) * (m * dy[i] - db[j] - xhat * dw[j]);
  });
  return { y, mean, variance, inv, dx, dw, db };
}

afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('BatchNormTrain / BatchNormTrainGrad on wasm', () => {
  for (const shape of [
    [3, 5, 7, 8],
    [2, 3, 4, 16],
    [5, 3, 6],
    [4, 9, 5],
    [70, 1],
    [2, 2, 3, 130],
    // The main job's first layer at batch 16: sums over 160,000 rows.
    [16, 50, 200, 8],
  ])
    test(`[${shape}] matches a float64 reference`, async () => {
      await tf.setBackend('wasm');
      const c = shape[shape.length - 1];
      const n = shape.reduce((p, d) => p * d, 1);
      const data = { x: rand(n, 3), dy: rand(n), w: rand(c), b: rand(c) };
      const ref = reference(data.x, data.dy, data.w, data.b, c, 1e-5);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const x = tf.tensor(data.x, shape);
        const [w, b] = [tf.tensor1d(data.w), tf.tensor1d(data.b)];
        const [y, mean, variance, invstd] = tf.engine().runKernel(BatchNormTrain, { x, weight: w, bias: b }, { eps: 1e-5 }) as Tensor[];
        expect(y.shape).toEqual(shape);
        expectClose(y, tf.tensor(Float32Array.from(ref.y), shape), { atol: 1e-5, rtol: 1e-5 });
        expectClose(mean, tf.tensor1d(Float32Array.from(ref.mean)), { atol: 1e-6, rtol: 1e-6 });
        expectClose(variance, tf.tensor1d(Float32Array.from(ref.variance)), { atol: 1e-6, rtol: 1e-6 });
        expectClose(invstd, tf.tensor1d(Float32Array.from(ref.inv)), { atol: 1e-6, rtol: 1e-6 });
        const dy = tf.tensor(data.dy, shape);
        const [dx, dw, db] = tf.engine().runKernel(BatchNormTrainGrad, { dy, x, mean, invstd, weight: w }) as Tensor[];
        expectClose(dx, tf.tensor(Float32Array.from(ref.dx), shape), { atol: 1e-5, rtol: 1e-4 });
        expectClose(dw, tf.tensor1d(Float32Array.from(ref.dw)), { atol: 1e-5, rtol: 1e-5 });
        expectClose(db, tf.tensor1d(Float32Array.from(ref.db)), { atol: 1e-5, rtol: 1e-5 });
      });
      expect(tf.memory().numTensors).toBe(before);
    });

  test('the SIMD loops run where the channels come in fours, the JavaScript ones elsewhere', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as Parameters<typeof channelKernels>[0];
    expect(channelKernels(backend, 8)).not.toBeNull();
    expect(channelKernels(backend, 130)).toBeNull();
  });

  test('SpatialBatchNormalization trains the same on wasm (kernels) as on cpu (composed ops)', async () => {
    const x = rand(4 * 5 * 6 * 12, 1);
    const dy = rand(4 * 5 * 6 * 12);
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      expect(tf.getKernel(BatchNormTrain, backend) !== undefined).toBe(backend === 'wasm');
      const bn = new SpatialBatchNormalization(12);
      (bn.weight as tf.Variable).assign(tf.tensor1d(Float32Array.from({ length: 12 }, (_, i) => 0.5 + i / 12)));
      const input = tf.tensor4d(x, [4, 5, 6, 12]);
      const grad = tf.tensor4d(dy, [4, 5, 6, 12]);
      const out = bn.forward(input) as Tensor;
      const gi = bn.backward(input, grad) as Tensor;
      const res = [out, gi, bn.gradWeight!, bn.gradBias!, bn.runningMean, bn.runningVar].map((t) => t.dataSync().slice());
      tf.dispose([input, grad]);
      bn.dispose();
      return res;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    wasm.forEach((got, i) => expectClose(got, cpu[i], { atol: 1e-4, rtol: 1e-4 }));
  });
});

describe('Identity on wasm', () => {
  test('a clone shares memory, frees nothing early, and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const ids = backend.numDataIds();
    const x = tf.tensor1d([1, 2, 3]);
    const y = x.clone();
    expect(backend.numDataIds()).toBe(ids + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    expect(backend.numDataIds()).toBe(ids);
  });
});
