import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, ready, tf, type Activity, type Module, type Tensor } from '@captcha-nn/core';
import { encodeIdx, LabelEncoder } from '@captcha-nn/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRun } from './evaluate';
import type { LoadedCaptchaModel } from './modelio';
import { predictFiles } from './predict';
import { classificationTask } from './task';
import { tempDir, tinyClassifierNet } from './test/helpers';
import { writeTinyPngs } from './testing';
import { checkTta, ttaForward } from './tta';

const tmp = tempDir();
afterAll(tmp.cleanup);
beforeAll(async () => {
  await ready();
  manualSeed(7);
});

/** A classifier of W×H grey images into ten classes, loaded as `loadCaptchaModel` would give it (untrained). */
function classifier(width: number, height: number): LoadedCaptchaModel {
  const encoder = new LabelEncoder('0123456789');
  const model = tinyClassifierNet({ variant: 'compact', numClasses: 10, length: 1, height, width, channels: 1 });
  return {
    model,
    encoder,
    task: classificationTask(),
    dir: tmp.dir,
    metadata: {
      kind: 'captcha-nn-captcha-model',
      version: 1,
      model: { name: 'tiny', variant: 'compact' },
      charset: encoder.charset,
      blank: 'last',
      length: 1,
      task: { name: 'classification' },
      input: { height, width, channels: 1 },
      preprocessing: { channels: 'gray', width, height, fit: 'contain', normalize: 'unit', matte: 'white' },
      training: { epoch: 1, step: 1, validation: null, data: 'test', seed: '1', savedAt: '' },
    },
  };
}

/** Records each input the model reads, and the softmax of what it answered, as plain arrays. */
function record(model: Module): Array<{ x: Float32Array; shape: number[]; p: Float32Array }> {
  const seen: Array<{ x: Float32Array; shape: number[]; p: Float32Array }> = [];
  const forward = model.forward.bind(model);
  model.forward = (input: Activity) => {
    const out = forward(input) as Tensor;
    const x = input as Tensor;
    seen.push({ x: x.dataSync() as Float32Array, shape: x.shape, p: tf.tidy(() => tf.softmax(out, -1).dataSync() as Float32Array) });
    return out;
  };
  return seen;
}

/** An NHWC batch mirrored left to right, computed element by element. */
function mirrorByHand(x: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n!; i++)
    for (let y = 0; y < h!; y++)
      for (let j = 0; j < w!; j++) for (let k = 0; k < c!; k++) out[((i * h! + y) * w! + j) * c! + k] = x[((i * h! + y) * w! + (w! - 1 - j)) * c! + k]!;
  return out;
}

const argMax = (p: Float32Array, from: number, n: number) => {
  let best = 0;
  for (let j = 1; j < n; j++) if (p[from + j]! > p[from + best]!) best = j;
  return best;
};

describe('flip test-time augmentation', () => {
  it("averages each image's class probabilities with its mirror image's, and leaks nothing", () => {
    const { model } = classifier(12, 8);
    model.evaluate();
    const x = tf.randomUniform([3, 8, 12, 1], 0, 1, 'float32', 3);
    const xs = x.dataSync() as Float32Array;
    const p = tf.tidy(() => tf.softmax(model.forward(x) as Tensor, -1).dataSync() as Float32Array);
    const mirrored = tf.tensor4d(mirrorByHand(xs, x.shape), x.shape as [number, number, number, number]);
    const q = tf.tidy(() => tf.softmax(model.forward(mirrored) as Tensor, -1).dataSync() as Float32Array);
    // The untrained net reads an image and its mirror differently, so the average is not either alone.
    expect(Math.max(...p.map((v, i) => Math.abs(v - q[i]!)))).toBeGreaterThan(1e-3);

    const read = ttaForward(model, 'flip');
    const warm = read(x);
    warm.dispose();
    const before = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      const out = read(x);
      expect(out.shape).toEqual([3, 10]);
      const got = tf.tidy(() => tf.softmax(out, -1).dataSync() as Float32Array);
      got.forEach((v, i) => expect(v, `probability ${i}`).toBeCloseTo((p[i]! + q[i]!) / 2, 5));
      out.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mirrored]);
  });

  it('is for classifiers only: a mirrored captcha reads backwards', () => {
    expect(() => checkTta({ name: 'classification' }, 'flip')).not.toThrow();
    expect(() => checkTta({ name: 'ctc', blank: 10 }, undefined)).not.toThrow();
    expect(() => checkTta({ name: 'ctc', blank: 10 }, 'flip')).toThrow(/--tta flip: .*only a classifier .*this model's task is ctc/);
    expect(() => checkTta({ name: 'text', format: 'tensor' }, 'flip')).toThrow(/this model's task is text/);
    expect(() => checkTta({ name: 'classification' }, 'rotate' as 'flip')).toThrow(/--tta must be one of flip, got "rotate"/);
  });

  it('evaluateRun reads every test image and its mirror, and scores the averaged probabilities', async () => {
    // An IDX test split of 7 random 12×8 images (the training split is not read by evaluation).
    const dir = join(tmp.dir, 'idx');
    mkdirSync(dir);
    const n = 7;
    const pixels = Uint8Array.from({ length: n * 8 * 12 }, (_, i) => (i * 37 + ((i * i) % 11) * 19) % 256);
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 3) % 10);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx({ type: 'uint8', shape: [n, 8, 12], data: pixels }));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx({ type: 'uint8', shape: [n], data: labels }));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), encodeIdx({ type: 'uint8', shape: [1, 8, 12], data: new Uint8Array(96) }));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), encodeIdx({ type: 'uint8', shape: [1], data: new Uint8Array(1) }));

    const m = classifier(12, 8);
    const seen = record(m.model);
    const r = await evaluateRun({ model: dir, idx: { dir }, tta: 'flip', batchSize: 4 }, m);
    expect(r.count).toBe(n);
    expect(r.source).toMatch(/each read with its mirror image \(--tta flip\)/);
    // Two batches (4 and 3), each read as it is and then mirrored.
    expect(seen.map((s) => s.shape[0])).toEqual([4, 4, 3, 3]);
    let right = 0;
    for (let b = 0; b < 2; b++) {
      const [plain, mirror] = [seen[2 * b]!, seen[2 * b + 1]!];
      expect(Array.from(mirror.x)).toEqual(Array.from(mirrorByHand(plain.x, plain.shape)));
      for (let i = 0; i < plain.shape[0]!; i++) {
        const avg = Float32Array.from({ length: 10 }, (_, j) => plain.p[i * 10 + j]! + mirror.p[i * 10 + j]!);
        if (argMax(avg, 0, 10) === labels[4 * b + i]) right++;
      }
    }
    expect(r.captchaAccuracy).toBeCloseTo(right / n, 10);

    // Without --tta each batch is read once.
    seen.length = 0;
    await evaluateRun({ model: dir, idx: { dir }, batchSize: 4 }, m);
    expect(seen.map((s) => s.shape[0])).toEqual([4, 3]);
  });

  it('predictFiles reads each image and its mirror; a text model refuses', async () => {
    const dir = join(tmp.dir, 'png');
    await writeTinyPngs(dir, 3, 'tta');
    const names = readdirSync(dir)
      .sort()
      .map((f) => join(dir, f));
    expect(names).toHaveLength(3);
    const m = classifier(48, 16);
    const seen = record(m.model);
    const preds = await predictFiles(m, names, 8, undefined, 'flip');
    expect(preds.map((p) => p.error)).toEqual([undefined, undefined, undefined]);
    expect(seen.map((s) => s.shape[0])).toEqual([3, 3]);
    expect(Array.from(seen[1]!.x)).toEqual(Array.from(mirrorByHand(seen[0]!.x, seen[0]!.shape)));
    preds.forEach((p, i) => {
      const avg = Float32Array.from({ length: 10 }, (_, j) => (seen[0]!.p[i * 10 + j]! + seen[1]!.p[i * 10 + j]!) / 2);
      expect(p.text).toBe(String(argMax(avg, 0, 10)));
      expect(p.confidence).toBeCloseTo(Math.max(...avg), 5);
    });
    const text = { ...m, task: { ...m.task, spec: { name: 'ctc' as const, blank: 10 } } };
    await expect(predictFiles(text, names, 8, undefined, 'flip')).rejects.toThrow(/this model's task is ctc/);
  });
});
