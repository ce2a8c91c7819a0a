import { beforeAll, describe, expect, it } from 'vitest';
import { Optimizer, fusedBackward, manualSeed, setBackend, tf } from '@captcha-nn/core';
import { batches, subset, type Batch } from '@captcha-nn/data';
import { openIdxSplit } from '@captcha-nn/train';
import { MNIST_INPUT, buildResnet } from './index';

const IMAGES = 192;
const BATCH = 32;
const PASSES = 3;

let data: Batch[] = [];

beforeAll(async () => {
  await setBackend('wasm');
  const train = await openIdxSplit({ kind: 'idx', dataset: 'mnist' }, 'train');
  expect([train.size, train.width, train.height]).toEqual([60000, 28, 28]);
  data = [];
  const first = subset(
    train,
    Array.from({ length: IMAGES }, (_, i) => i),
  );
  for await (const b of batches(first, { batchSize: BATCH, shuffle: false, normalize: 'unit' })) data.push(b);
});

describe('the 10-layer residual net on 192 MNIST digits', () => {
  it('three passes of Adam lower the loss, and the number of tensors stays flat from step to step', () => {
    manualSeed(11);
    const { model, task } = buildResnet({ ...MNIST_INPUT, settings: { depth: 10 } });
    const optimizer = new Optimizer(model, 'adam', { learningRate: 0.003 });
    const targets = data.map((b) => task.target(b.y));
    const losses: number[] = [];
    const tensors: number[] = [];
    model.training();
    for (let pass = 0; pass < PASSES; pass++)
      data.forEach((b, i) => {
        model.zeroGradParameters();
        losses.push(optimizer.step(fusedBackward(model, task.criterion, b.x, targets[i]!)));
        tensors.push(tf.memory().numTensors);
      });
    const steps = data.length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Ten digits: about ln 10 or more before learning anything.
    expect(losses[0]).toBeGreaterThan(2);
    expect(mean(losses.slice(-steps))).toBeLessThan(0.5 * mean(losses.slice(0, steps)));
    // Optimizer state is created by the first step; after that every step frees what it made.
    expect(new Set(tensors.slice(1)).size).toBe(1);
    targets.forEach((t, i) => task.disposeTarget(t, data[i]!.y));
    for (const b of data) b.dispose();
    optimizer.dispose();
    model.dispose();
  });
});
