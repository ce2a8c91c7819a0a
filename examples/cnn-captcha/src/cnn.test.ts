import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend, tf, manualSeed, type Tensor } from '@captcha-nn/core';
import { LabelEncoder, generatorSource, simplePreset } from '@captcha-nn/data';
import { evaluateModel, type ModelOptions } from '@captcha-nn/train';
import { fitBatch, sampleBatch } from '@captcha-nn/train/testing';
import { buildCnnCaptcha, cnnFeatures } from './index';

const base: ModelOptions = { variant: 'compact', numClasses: 24, length: 5, height: 50, width: 200, channels: 1 };

beforeAll(async () => {
  await setBackend('wasm');
});

describe('buildCnnCaptcha', () => {
  it('compact: [N,H,W,C] in, [N,length,numClasses] scores out, a tensor target', () => {
    const { model, task } = buildCnnCaptcha(base);
    const criterion = task.criterion;
    expect(task.spec).toEqual({ name: 'text', format: 'tensor' });
    expect(criterion.typeName).toBe('MultiCrossEntropyCriterion');
    const out = tf.tidy(() => model.forward(tf.randomUniform([3, 50, 200, 1])) as Tensor);
    expect(out.shape).toEqual([3, 5, 24]);
    const loss = criterion.forward(out, tf.zeros([3, 5], 'int32'));
    expect(Number.isFinite(loss)).toBe(true);
  });

  it('compact follows the options: other sizes, lengths, classes and channels', () => {
    const { model } = buildCnnCaptcha({ ...base, numClasses: 11, length: 7, height: 32, width: 128, channels: 3 });
    const out = tf.tidy(() => model.forward(tf.randomUniform([2, 32, 128, 3])) as Tensor);
    expect(out.shape).toEqual([2, 7, 11]);
  });

  it('cnnFeatures with widthPools keeps feature columns: later groups pool the height only', () => {
    const { features, size, height, width, channels } = cnnFeatures({ ...base, width: 160 }, { widthPools: 3 });
    // 50×160 pooled 5 times in height (ceil: 2) and 3 times in width (20).
    expect({ height, width, channels }).toEqual({ height: 2, width: 20, channels: 128 });
    expect(size).toBe(2 * 20 * 128);
    const out = tf.tidy(() => features.forward(tf.randomUniform([2, 50, 160, 1])) as Tensor);
    expect(out.shape).toEqual([2, size]);
    expect(features.toString().match(/nn\.SpatialMaxPooling\(1x2, 1,2/g)).toHaveLength(2);
  });

  it('seed: the 2016 VGG network, output shape only', () => {
    const { model } = buildCnnCaptcha({ ...base, variant: 'seed' });
    const s = model.toString();
    expect(s.match(/nn\.SpatialConvolution/g)).toHaveLength(13);
    expect(s.match(/nn\.SpatialMaxPooling/g)).toHaveLength(5);
    expect(s).toContain('nn.SpatialConvolution(1 -> 64, 3x3, 1,1, 1,1)');
    expect(s).toContain('nn.SpatialConvolution(512 -> 512, 3x3, 1,1, 1,1)');
    // 50×200 pooled 5 times (ceil): 2×7×512 features.
    expect(s).toContain('nn.Linear(7168 -> 512)');
    expect(s).toContain('nn.Linear(512 -> 120)');
    const out = tf.tidy(() => model.forward(tf.randomUniform([2, 50, 200, 1])) as Tensor);
    expect(out.shape).toEqual([2, 5, 24]);
  });

  it("wide: compact's head on a trunk of 32 | 64 | 128,128 | 192,192", () => {
    const { model } = buildCnnCaptcha({ ...base, variant: 'wide', height: 40, width: 150, channels: 3 });
    const s = model.toString();
    expect(s.match(/nn\.SpatialConvolution/g)).toHaveLength(6);
    expect(s.match(/nn\.SpatialMaxPooling/g)).toHaveLength(4);
    expect(s).toContain('nn.SpatialConvolution(3 -> 32, 3x3, 1,1, 1,1)');
    expect(s).toContain('nn.SpatialConvolution(128 -> 192, 3x3, 1,1, 1,1)');
    expect(s).toContain('nn.SpatialConvolution(192 -> 192, 3x3, 1,1, 1,1)');
    // 40×150 pooled 4 times (ceil): 3×10×192 features into compact's 256-unit layer.
    expect(s).toContain('nn.Linear(5760 -> 256)');
    const out = tf.tidy(() => model.forward(tf.randomUniform([2, 40, 150, 3])) as Tensor);
    expect(out.shape).toEqual([2, 5, 24]);
  });

  it('toString prints the tree', () => {
    const s = buildCnnCaptcha(base).model.toString();
    expect(s.startsWith('nn.Sequential {')).toBe(true);
    for (const part of [
      'nn.SpatialConvolution(1 -> 8, 3x3, 1,1, 1,1)',
      'nn.SpatialConvolution(128 -> 128, 3x3, 1,1, 1,1)',
      'nn.SpatialBatchNormalization',
      'nn.ReLU',
      'nn.Linear(1792 -> 256)',
      'nn.View',
    ])
      expect(s).toContain(part);
    // Full resolution: no average pooling in front; 8 | 16 | 32 | 64 | 128,128, each group max-pooled.
    expect(s).not.toContain('SpatialAveragePooling');
    expect(s.match(/nn\.SpatialConvolution/g)).toHaveLength(6);
    expect(s.match(/nn\.SpatialMaxPooling/g)).toHaveLength(5);
  });

  it('rejects bad options', () => {
    expect(() => buildCnnCaptcha({ ...base, length: 0 })).toThrow(/length/);
    expect(() => buildCnnCaptcha({ ...base, variant: 'huge' as 'seed' })).toThrow(/variant/);
  });

  it('thirty training steps on a handful of captchas make the loss fall, and it reads them back', async () => {
    manualSeed(3);
    const b = await sampleBatch(8, 'unit-test');
    const parts = buildCnnCaptcha(base);
    const losses = fitBatch(parts, b, 30);
    expect(losses[0]).toBeGreaterThan(2.5); // about ln 24 at the start
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.3);
    // The memorised images, read in evaluation mode (running BN statistics) through the task.
    const src = generatorSource(simplePreset('seed', { seed: 'unit-test' }), { count: 8 });
    const r = (await evaluateModel(parts.model, src, { encoder: new LabelEncoder(src.encoder.charset), task: parts.task, batchSize: 8 }))!;
    expect(r.count).toBe(8);
    expect(r.charAccuracy).toBeGreaterThan(1 / 23);
    b.dispose();
  });
});
