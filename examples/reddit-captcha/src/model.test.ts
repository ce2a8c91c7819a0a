import { manualSeed, setBackend, type Tensor, tf } from '@captcha-nn/core';
import { fromRGBA, type ImageBuffer, LabelEncoder, RedditCaptchaGenerator } from '@captcha-nn/data';
import type { ModelOptions } from '@captcha-nn/train';
import { fitBatch } from '@captcha-nn/train/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { letterLogProbs } from './classify';
import { buildRedditCtc, buildRedditLetter } from './index';
import { LETTER_SIZE } from './letterImage';
import { lettersOf } from './letters';

const base: ModelOptions = { variant: 'compact', numClasses: 27, length: 1, height: LETTER_SIZE, width: LETTER_SIZE, channels: 1 };

beforeAll(async () => {
  await setBackend('wasm');
});

describe('buildRedditLetter', () => {
  it('reads [N,28,28,1] letters into [N,numClasses] log-probabilities, as a classification task', () => {
    const { model, task } = buildRedditLetter(base);
    expect(task.spec).toEqual({ name: 'classification' });
    expect(task.criterion.typeName).toBe('ClassNLLCriterion');
    const out = tf.tidy(() => tf.sum(tf.exp(model.forward(tf.randomUniform([3, 28, 28, 1])) as Tensor), 1));
    expect(out.shape).toEqual([3]);
    for (const s of out.dataSync()) expect(s).toBeCloseTo(1, 4);
    out.dispose();
    const s = model.toString();
    for (const part of [
      'nn.SpatialConvolution(1 -> 8, 3x3, 1,1, 1,1)',
      'nn.SpatialConvolution(16 -> 32, 3x3, 1,1, 1,1)',
      'nn.Linear(512 -> 128)',
      'nn.Linear(128 -> 27)',
      'nn.LogSoftMax',
    ])
      expect(s).toContain(part);
    expect(buildRedditLetter({ ...base, variant: 'seed' }).model.toString()).toContain('nn.Linear(2048 -> 128)');
  });

  it('refuses labels longer than one letter', () => {
    expect(() => buildRedditLetter({ ...base, length: 6 })).toThrow(/one letter per image/);
  });

  it('learns segmented letters of real renders (a few steps lower the loss; tensors freed)', () => {
    manualSeed(3);
    const gen = new RedditCaptchaGenerator({ seed: 'learn', renders: 3 });
    const encoder = new LabelEncoder('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    const images: ImageBuffer<Uint8Array>[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 12 && images.length < 48; i++) {
      const { rgba, label } = gen.render(i);
      const letters = lettersOf(fromRGBA(rgba, gen.width, gen.height, 'gray'));
      if (typeof letters === 'string') continue;
      letters.forEach((im, p) => {
        images.push(im);
        labels.push(encoder.encode(label[p]!, 1)[0]!);
      });
    }
    expect(images.length).toBeGreaterThanOrEqual(36);
    const before = tf.memory().numTensors;
    const parts = buildRedditLetter(base);
    const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(im.data, (v) => v / 255))), [images.length, 28, 28, 1]);
    const y = tf.tensor2d(Int32Array.from(labels), [labels.length, 1], 'int32');
    const losses = fitBatch(parts, { x, y } as never, 25);
    expect(losses[24]!).toBeLessThan(losses[0]! * 0.5);
    parts.model.evaluate();
    const probs = letterLogProbs(parts.model, images);
    expect(probs).toHaveLength(images.length);
    x.dispose();
    y.dispose();
    parts.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('letterLogProbs refuses images of unlike sizes (never resized)', () => {
    const { model } = buildRedditLetter(base);
    const a = { data: new Uint8Array(28 * 28), width: 28, height: 28, channels: 1 };
    const b = { data: new Uint8Array(24 * 28), width: 24, height: 28, channels: 1 };
    expect(() => letterLogProbs(model, [a, b])).toThrow(/unlike sizes/);
    model.dispose();
  });
});

describe('buildRedditCtc', () => {
  it('reads [N,50,120,1] renders into [T=30,N,C] log-probabilities with no recurrence, as a CTC task with the last class blank', () => {
    const opts: ModelOptions = { variant: 'compact', numClasses: 27, length: 6, height: 50, width: 120, channels: 1 };
    const { model, task } = buildRedditCtc(opts);
    expect(task.spec).toEqual({ name: 'ctc', blank: 26, steps: 30 });
    const x = tf.randomUniform([2, 50, 120, 1]);
    const out = model.forward(x) as Tensor;
    expect(out.shape).toEqual([30, 2, 27]);
    const sums = tf.tidy(() => tf.sum(tf.exp(out), 2));
    for (const s of sums.dataSync()) expect(s).toBeCloseTo(1, 4);
    sums.dispose();
    x.dispose();
    // A step reads only its columns' neighbourhood: changing the image's right sixth leaves the first steps alone.
    model.evaluate();
    const steps = (img: Tensor, from: number, n: number) => {
      const t = tf.tidy(() => tf.slice(model.forward(img) as Tensor, [from, 0, 0], [n, 1, 27]));
      const v = Array.from(t.dataSync());
      t.dispose();
      return v;
    };
    const firstSteps = (img: Tensor) => steps(img, 0, 10);
    const lastStep = (img: Tensor) => steps(img, 29, 1);
    const a = tf.randomUniform([1, 50, 120, 1], 0, 1, 'float32', 7);
    const b = tf.tidy(() => tf.concat([tf.slice(a, [0, 0, 0, 0], [1, 50, 100, 1]), tf.ones([1, 50, 20, 1])], 2));
    expect(firstSteps(b)).toEqual(firstSteps(a));
    expect(lastStep(b)).not.toEqual(lastStep(a));
    a.dispose();
    b.dispose();
    const s = model.toString();
    expect(s).not.toMatch(/LSTM|Sequencer/);
    expect(s).toContain('nn.SpatialConvolution(128 -> 27, 1x2)');
  });
});
