import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { manualSeed, ready, tf, type Activity, type Module, type Tensor } from '@captcha-nn/core';
import { encodeIdx, LabelEncoder } from '@captcha-nn/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateRun } from './evaluate';
import type { LoadedCaptchaModel } from './modelio';
import { predictFiles } from './predict';
import { classificationTask } from './task';
import { tempDir, tinyClassifierNet, tinyCtcNet, tinyTableNet } from './test/helpers';
import { writeTinyPngs } from './testing';
import { checkTta, moveRows, shiftRows, ttaForward } from './tta';

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

/** Records each input the model reads, and the softmax of what it answered (each entry of a table), as plain arrays. */
function record(model: Module): Array<{ x: Float32Array; shape: number[]; p: Float32Array; tableP: Float32Array[] }> {
  const seen: Array<{ x: Float32Array; shape: number[]; p: Float32Array; tableP: Float32Array[] }> = [];
  const forward = model.forward.bind(model);
  model.forward = (input: Activity) => {
    const out = forward(input);
    const x = input as Tensor;
    const ps = (Array.isArray(out) ? (out as Tensor[]) : [out as Tensor]).map((o) => tf.tidy(() => tf.softmax(o, -1).dataSync() as Float32Array));
    seen.push({ x: x.dataSync() as Float32Array, shape: x.shape, p: ps[0]!, tableP: ps });
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
    tf.dispose(read(x));
    const before = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      const out = read(x) as Tensor;
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
    expect(() => checkTta({ name: 'seq2seq' } as Parameters<typeof checkTta>[0], 'flip')).toThrow(/--tta flip: .*this model's task is seq2seq/);
    expect(() => checkTta({ name: 'ctc', blank: 10 }, undefined)).not.toThrow();
    expect(() => checkTta({ name: 'ctc', blank: 10 }, 'flip')).toThrow(/--tta flip: .*only a classifier .*this model's task is ctc/);
    expect(() => checkTta({ name: 'text', format: 'tensor' }, 'flip')).toThrow(/this model's task is text/);
    expect(() => checkTta({ name: 'classification' }, 'rotate' as 'flip')).toThrow(/--tta must be one of flip, shift, got "rotate"/);
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

    // With --tta shift each batch is read three times: as it is, moved down and moved up by a row (8 rows high).
    seen.length = 0;
    const shifted = await evaluateRun({ model: dir, idx: { dir }, tta: 'shift', batchSize: 4 }, m);
    expect(shifted.source).toMatch(/each read also moved up and down \(--tta shift\)/);
    expect(seen.map((s) => s.shape[0])).toEqual([4, 4, 4, 3, 3, 3]);
    expect(Array.from(seen[1]!.x)).toEqual(Array.from(moveByHand(seen[0]!.x, seen[0]!.shape, 1)));
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
    // Test-time augmentation reads on this thread: a forward in the model's place (worker threads) is refused with it.
    await expect(predictFiles(m, names, 8, undefined, 'flip', async (x) => m.model.forward(x))).rejects.toThrow(/give tta or forward, not both/);
  });
});

/** An NHWC batch moved down by `by` rows (up where negative), the edge row repeated, element by element. */
function moveByHand(x: Float32Array, [n, h, w, c]: number[], by: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < n!; i++)
    for (let y = 0; y < h!; y++) {
      const from = Math.min(h! - 1, Math.max(0, y - by));
      for (let j = 0; j < w! * c!; j++) out[(i * h! + y) * w! * c! + j] = x[(i * h! + from) * w! * c! + j]!;
    }
  return out;
}

/** The softmax over the last axis of a plain array of rows `n` wide. */
function softmaxRows(v: Float32Array, n: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length; r += n) {
    const row = v.subarray(r, r + n);
    const m = Math.max(...row);
    const e = row.map((z) => Math.exp(z - m));
    const sum = e.reduce((a, b) => a + b, 0);
    e.forEach((z, j) => (out[r + j] = z / sum));
  }
  return out;
}

describe('shift test-time augmentation', () => {
  it('moves images by whole rows, repeating the edge row, and says how far for a height', () => {
    const x = tf.randomUniform([2, 5, 3, 2], 0, 1, 'float32', 11);
    const xs = x.dataSync() as Float32Array;
    for (const by of [1, 2, -1, -3, 0]) {
      const m = moveRows(x, by);
      expect(m.shape).toEqual(x.shape);
      expect(Array.from(m.dataSync()), `by ${by}`).toEqual(Array.from(moveByHand(xs, x.shape, by)));
      m.dispose();
    }
    expect(() => moveRows(x, 5)).toThrow(/moveRows: cannot move 5 rows by 5/);
    x.dispose();
    expect([8, 28, 40, 47, 50, 64, 100].map(shiftRows)).toEqual([1, 1, 1, 1, 2, 2, 3]);
  });

  it("averages a CTC reader's per-frame probabilities over the image moved up and down, and leaks nothing", () => {
    // 64 rows high, so the copies move by 2; [T, N, C] = [4, 3, 6], time-major.
    const { model } = tinyCtcNet({ variant: 'compact', numClasses: 6, length: 4, height: 64, width: 16, channels: 1 });
    model.evaluate();
    const x = tf.randomUniform([3, 64, 16, 1], 0, 1, 'float32', 5);
    const xs = x.dataSync() as Float32Array;
    const read = (v: Float32Array) => {
      const t = tf.tensor4d(v, [3, 64, 16, 1]);
      const p = tf.tidy(() => tf.softmax(model.forward(t) as Tensor, -1).dataSync() as Float32Array);
      t.dispose();
      return p;
    };
    const [p, down, up] = [read(xs), read(moveByHand(xs, x.shape, 2)), read(moveByHand(xs, x.shape, -2))];
    // The untrained net reads the moved copies differently, so the average is not the image's alone.
    expect(Math.max(...p.map((v, i) => Math.abs(v - down[i]!)))).toBeGreaterThan(1e-3);

    const shifted = ttaForward(model, 'shift');
    tf.dispose(shifted(x));
    const before = tf.memory().numTensors;
    for (let round = 0; round < 2; round++) {
      const out = shifted(x) as Tensor;
      expect(out.shape).toEqual([4, 3, 6]);
      const got = tf.tidy(() => tf.softmax(out, -1).dataSync() as Float32Array);
      got.forEach((v, i) => expect(v, `probability ${i}`).toBeCloseTo((p[i]! + down[i]! + up[i]!) / 3, 5));
      out.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it("keeps a table-output model's form: each position's probabilities averaged", () => {
    const model = tinyTableNet({ variant: 'compact', numClasses: 5, length: 3, height: 12, width: 16, channels: 1 });
    model.evaluate();
    const seen = record(model);
    const x = tf.randomUniform([2, 12, 16, 1], 0, 1, 'float32', 9);
    const out = ttaForward(model, 'shift')(x) as Tensor[];
    expect(Array.isArray(out)).toBe(true);
    expect(out.map((t) => t.shape)).toEqual([
      [2, 5],
      [2, 5],
      [2, 5],
    ]);
    // record() saw the inputs: the image, then it moved down and up by one row (12 rows high).
    expect(seen).toHaveLength(3);
    const xs = x.dataSync() as Float32Array;
    expect(Array.from(seen[1]!.x)).toEqual(Array.from(moveByHand(xs, x.shape, 1)));
    expect(Array.from(seen[2]!.x)).toEqual(Array.from(moveByHand(xs, x.shape, -1)));
    out.forEach((t, pos) => {
      const got = softmaxRows(t.dataSync() as Float32Array, 5);
      got.forEach((v, i) =>
        expect(v, `position ${pos}, ${i}`).toBeCloseTo((seen[0]!.tableP[pos]![i]! + seen[1]!.tableP[pos]![i]! + seen[2]!.tableP[pos]![i]!) / 3, 5),
      );
    });
    tf.dispose([x, ...out]);
  });

  it('is for every task but seq2seq, whose decoder reads its own output', () => {
    for (const spec of [{ name: 'classification' }, { name: 'ctc', blank: 3 }, { name: 'text', format: 'table' }] as const)
      expect(() => checkTta(spec, 'shift')).not.toThrow();
    expect(() => checkTta({ name: 'seq2seq' } as Parameters<typeof checkTta>[0], 'shift')).toThrow(/--tta shift: a seq2seq decoder/);
  });
});
