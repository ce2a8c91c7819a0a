import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend, tf, manualSeed, type Tensor } from '@captcha-nn/core';
import { simplePreset, generatorSource } from '@captcha-nn/data';
import { buildCnnCaptcha, type CaptchaModelOptions } from './index';
import { captchaStepper, evaluateAccuracy, formatTarget, predict, sampleBatch } from './loop';

const base: CaptchaModelOptions = { variant: 'compact', numClasses: 24, length: 5, height: 50, width: 200, channels: 1 };

beforeAll(async () => {
  await setBackend('wasm');
});

describe('buildCnnCaptcha', () => {
  it('compact: [N,H,W,C] in, [N,length,numClasses] scores out, a tensor target', () => {
    const { model, criterion, targetFormat } = buildCnnCaptcha(base);
    expect(targetFormat).toBe('tensor');
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

  it('toString prints the tree', () => {
    const s = buildCnnCaptcha(base).model.toString();
    expect(s.startsWith('nn.Sequential {')).toBe(true);
    for (const part of ['nn.SpatialConvolution(1 -> 8, 3x3, 1,1, 1,1)', 'nn.SpatialConvolution(128 -> 128, 3x3, 1,1, 1,1)', 'nn.SpatialBatchNormalization', 'nn.ReLU', 'nn.Linear(1792 -> 256)', 'nn.View'])
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

  it('a few dozen training steps on a handful of captchas make the loss fall', async () => {
    manualSeed(3);
    const b = await sampleBatch(8, 'unit-test');
    const cm = buildCnnCaptcha(base);
    const { model } = cm;
    const stepper = captchaStepper(cm, { optimizer: 'adam', lr: 0.003 });
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) losses.push(stepper.step(b.x, b.y));
    expect(losses[0]).toBeGreaterThan(2.5); // about ln 24 at the start
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.3);
    // The memorised images are read back (evaluation mode, running BN statistics).
    const src = generatorSource(simplePreset('seed', { seed: 'unit-test' }), { count: 8 });
    const acc = await evaluateAccuracy(model, src, 8);
    expect(acc.charAccuracy).toBeGreaterThanOrEqual(0);
    expect(acc.charAccuracy).toBeLessThanOrEqual(1);
    b.dispose();
  });
});

describe('loop helpers', () => {
  it('formatTarget and predict', () => {
    const y = tf.tensor2d([[0, 1, 2], [3, 4, 5]], [2, 3], 'int32');
    expect((formatTarget(y, 'tensor') as Tensor).shape).toEqual([2, 3]);
    const table = formatTarget(y, 'table') as Tensor[];
    expect(table.map((t) => Array.from(t.dataSync()))).toEqual([[0, 3], [1, 4], [2, 5]]);
    const scores = tf.oneHot(y, 6);
    expect(Array.from(predict(scores).dataSync())).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(predict(tf.unstack(scores, 1)).dataSync())).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
