import { join } from 'node:path';
import {
  Linear,
  manualSeed,
  ready,
  ReLU,
  Sequential,
  SpatialBatchNormalization,
  SpatialConvolution,
  tf,
  View,
  type Module,
  type Tensor,
} from '@captcha-nn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaptchaModelMetadata, loadCaptchaModel, saveCaptchaModel } from './modelio';
import { tempDir } from './test/helpers';

const tmp = tempDir();
beforeAll(() => ready());
afterAll(tmp.cleanup);

const metadata: CaptchaModelMetadata = {
  kind: 'captcha-nn-captcha-model',
  version: 1,
  model: { name: 'test', variant: 'compact' },
  charset: 'ab12',
  blank: 'last',
  length: 2,
  task: { name: 'text', format: 'tensor' },
  input: { height: 8, width: 12, channels: 1 },
  preprocessing: { channels: 'gray', width: 12, height: 8, fit: 'contain', normalize: 'unit', matte: 'white' },
  training: { epoch: 1, step: 1, validation: null, data: 'test', seed: '1', savedAt: '2026-12-03T00:00:00Z' },
};

const countBatchNorms = (m: Module): number => (m instanceof SpatialBatchNormalization ? 1 : 0) + m.children().reduce((n, c) => n + countBatchNorms(c), 0);

describe('loadCaptchaModel', () => {
  it('with foldBatchNorm reads as the saved model does, with its BatchNormalization folded into the convolution', async () => {
    manualSeed(5);
    const net = new Sequential(
      new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1),
      new SpatialBatchNormalization(4),
      new ReLU(),
      new View(-1, 4 * 8 * 12),
      new Linear(4 * 8 * 12, 2 * 5),
      new View(-1, 2, 5),
    );
    for (let i = 0; i < 3; i++) tf.tidy(() => void net.forward(tf.randomUniform([4, 8, 12, 1], 0, 1, 'float32', i + 1))); // running statistics
    const dir = join(tmp.dir, 'bn');
    await saveCaptchaModel(dir, net, metadata);
    net.dispose();

    const x = tf.randomUniform([6, 8, 12, 1], 0, 1, 'float32', 9);
    const plain = await loadCaptchaModel(dir);
    const a = plain.model.forward(x) as Tensor;
    const tensors = tf.memory().numTensors;
    const folded = await loadCaptchaModel(dir, { foldBatchNorm: true });
    expect(countBatchNorms(plain.model)).toBe(1);
    expect(countBatchNorms(folded.model)).toBe(0);
    const b = folded.model.forward(x) as Tensor;
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeLessThan(1e-5);
    const ids = (d: unknown) => (d as { ids: number[] }[]).map((r) => r.ids);
    expect(ids(folded.task.decode(b))).toEqual(ids(plain.task.decode(a)));
    // Folding in place leaves nothing behind: disposing the folded model frees all the load made.
    folded.model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    plain.model.dispose();
    x.dispose();
  });
});
