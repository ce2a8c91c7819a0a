import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { finalRate, scheduledRate, tf } from '@captcha-nn/core';
import { parseLabelCsv } from '@captcha-nn/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FolderDataSpec } from './data';
import { loadCaptchaModel } from './modelio';
import type { TrainOptions } from './options';
import { predictFiles, type Prediction } from './predict';
import { progressCallbacks } from './progress';
import { readCheckpointState } from './checkpoint';
import { choosePseudoLabels, PSEUDO_LABELS_FILE } from './pseudoLabels';
import { writeTinyPngs } from './testing';
import { train, type StartInfo } from './trainer';
import { TINY_DATA, tempDir, tensorsOf } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
const base = join(tmp.dir, 'base');
const labelled = join(tmp.dir, 'labelled');
const pool = join(tmp.dir, 'pool');
/** The base model's readings of the pool, read here as `captcha-nn predict` would. */
let readings: Prediction[] = [];

beforeAll(async () => {
  await train({ model: 'tiny', data: TINY_DATA, epochs: 3, batchSize: 8, seed: '1', workers: 1, backend: 'wasm', out: base });
  await writeTinyPngs(labelled, 16, 'labelled');
  await writeTinyPngs(pool, 24, 'pool');
  // No label in the pool's names: whatever labels these images comes from the model.
  for (const f of readdirSync(pool)) renameSync(join(pool, f), join(pool, `u${f.split('_')[0]}.png`));
  const m = await loadCaptchaModel(base, { foldBatchNorm: true });
  readings = await predictFiles(
    m,
    readdirSync(pool)
      .sort()
      .map((f) => join(pool, f)),
  );
  m.model.dispose();
}, 120_000);

const selfTrain = (out: string, minConfidence: number, extra: Partial<TrainOptions> = {}): Partial<TrainOptions> & { out: string } => ({
  init: base,
  data: { kind: 'folder', dir: labelled, valSplit: 0, unlabelled: { dir: pool, minConfidence } } satisfies FolderDataSpec,
  epochs: 2,
  // Constant, not a fine-tune's cosine: one epoch resumed to two must retrace a two-epoch run.
  schedule: 'constant',
  batchSize: 8,
  seed: '7',
  workers: 1,
  backend: 'wasm',
  out: join(tmp.dir, out),
  ...extra,
});

const csvRows = (out: string) => parseLabelCsv(readFileSync(join(tmp.dir, out, PSEUDO_LABELS_FILE), 'utf8'));

describe('choosePseudoLabels', () => {
  const needs = { minConfidence: 0.9, charset: 'ab12', minLength: 2, maxLength: 3 };
  const p = (text: string, confidence: number, error?: string): Prediction => ({ file: `${text}.png`, text, confidence, ...(error ? { error } : {}) });

  it('keeps the confident readings of the labels’ characters and lengths, and counts the rest by reason', () => {
    const c = choosePseudoLabels(
      [p('ab', 0.95), p('a12', 0.9), p('ba', 0.89), p('a', 0.99), p('abab', 0.99), p('aX', 0.99), p('', 0, 'x.png: truncated'), p('21', Number.NaN)],
      needs,
    );
    expect(c.kept.map((k) => k.text)).toEqual(['ab', 'a12']);
    expect(c.unsure).toBe(2);
    expect(c.outside).toBe(3);
    expect(c.unreadable.map((u) => u.error)).toEqual(['x.png: truncated']);
  });
});

describe('train --unlabelled: self-training on the --init model’s confident readings', () => {
  it('adds the pool’s confidently read images with those readings as labels, leaks nothing, and resumes exactly', async () => {
    const fitting = readings.filter((r) => !r.error && r.text.length === 2);
    const confidences = fitting.map((r) => r.confidence).sort((a, b) => a - b);
    const threshold = confidences[Math.floor(confidences.length / 2)]!;
    const expected = fitting.filter((r) => r.confidence >= threshold);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(24);

    let start: StartInfo | undefined;
    const logs: string[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const whole = await train(selfTrain('whole', threshold), { onStart: (s) => (start = s), log: (m) => logs.push(m) });
    expect(whole.status).toBe('completed');
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    const rows = csvRows('whole');
    expect(rows.map((r) => [join(pool, r.file), r.label])).toEqual(expected.map((r) => [r.file, r.text]));
    expect(start!.data.trainSize).toBe(16 + expected.length);
    // The training images after the labelled ones are the pool's, labelled with the readings.
    const source = start!.data.trainSource(0);
    for (let k = 0; k < rows.length; k++) {
      const s = await source.load(16 + k);
      expect([s!.file, s!.label]).toEqual([rows[k]!.file, rows[k]!.label]);
    }
    expect(start!.data.description).toMatch(
      new RegExp(`read the 24 images in .*pool.*; the ${expected.length} read with a confidence of at least ${threshold} join the training images`),
    );
    // The images left unlabelled are the labeller's count, not skipped files.
    expect(start!.data.skipped).toEqual([]);
    // The reading's time is part of the run's, and the checkpoint keeps it.
    const state = await readCheckpointState(join(tmp.dir, 'whole', 'checkpoint.safetensors'));
    expect(start!.labellingSeconds).toBeGreaterThan(0);
    expect(state.labellingSeconds).toBe(start!.labellingSeconds);
    expect(state.seconds).toBeGreaterThan(state.labellingSeconds!);

    // One epoch, then resumed for the second: the same weights, from the same labels file.
    await train(selfTrain('parts', threshold, { epochs: 1 }));
    const firstCsv = readFileSync(join(tmp.dir, 'parts', PSEUDO_LABELS_FILE), 'utf8');
    const firstState = await readCheckpointState(join(tmp.dir, 'parts', 'checkpoint.safetensors'));
    await train({ out: join(tmp.dir, 'parts'), resume: true, epochs: 2 });
    expect(readFileSync(join(tmp.dir, 'parts', PSEUDO_LABELS_FILE), 'utf8')).toBe(firstCsv);
    // The resumed session read no images, and keeps the first session's reading time.
    expect((await readCheckpointState(join(tmp.dir, 'parts', 'checkpoint.safetensors'))).labellingSeconds).toBe(firstState.labellingSeconds);
    const a = await tensorsOf(join(tmp.dir, 'whole', 'checkpoint.safetensors'));
    const b = await tensorsOf(join(tmp.dir, 'parts', 'checkpoint.safetensors'));
    for (const k of Object.keys(a)) expect(Array.from(b[k]!), k).toEqual(Array.from(a[k]!));

    rmSync(join(tmp.dir, 'parts', PSEUDO_LABELS_FILE));
    await expect(train({ out: join(tmp.dir, 'parts'), resume: true, epochs: 3 })).rejects.toThrow(/pseudo-labels\.csv is missing/);
  }, 120_000);

  it('with 2 workers reads the pool over both threads, to the same labels', async () => {
    const threshold = 0;
    let start: StartInfo | undefined;
    await train(selfTrain('one-thread', threshold, { epochs: 1 }));
    const tensorsBefore = tf.memory().numTensors;
    await train(selfTrain('two-threads', threshold, { epochs: 1, workers: 2 }), { onStart: (s) => (start = s) });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(start!.data.description).toMatch(/read the 24 images in .*pool over 2 threads in/);
    const one = csvRows('one-thread');
    const two = csvRows('two-threads');
    expect(two.map((r) => [r.file, r.label])).toEqual(one.map((r) => [r.file, r.label]));
    expect(two.length).toBe(readings.filter((r) => !r.error && r.text.length === 2).length);
    const confidence = (out: string) =>
      readFileSync(join(tmp.dir, out, PSEUDO_LABELS_FILE), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(',')[2]));
    const c1 = confidence('one-thread');
    confidence('two-threads').forEach((c, i) => expect(c).toBeCloseTo(c1[i]!, 5));
  }, 120_000);

  it('a time limit counts reading the pool, and the schedule anneals over the time left', async () => {
    // A fake clock: the reading takes 30 s (the clock jumps while the labeller, the first to read it after the
    // fine-tune's log line, is at work) and every step 1 s, against a 40-second limit: 10 steps, from the top rate.
    let now = 0;
    let reading = false;
    const clock = () => {
      if (!reading) return now;
      reading = false;
      const t = now;
      now += 30;
      return t;
    };
    const lrs: number[] = [];
    const lines: string[] = [];
    const stream = { write: (line: string) => lines.push(line), isTTY: false } as unknown as NodeJS.WriteStream;
    const progress = progressCallbacks({ tty: false, stream });
    let start: StartInfo | undefined;
    const r = await train(selfTrain('timed', 0, { schedule: 'cosine', epochs: 50, timeLimit: 40 / 60 }), {
      clock,
      log: (m) => {
        if (m.startsWith('a fine-tune on a folder')) reading = true;
      },
      onStart: (s) => {
        start = s;
        progress.onStart!(s);
      },
      onStep: (s) => {
        lrs.push(s.learningRate);
        now += 1;
      },
    });
    expect(start!.labellingSeconds).toBe(30);
    expect(start!.data.description).toMatch(/read the 24 images in .*pool in 30 s/);
    expect(lines).toContain(
      "time limit: 0.6666666666666666 min of training (the run's total); reading the unlabelled images took 30 s of it, and the schedule anneals over the rest\n",
    );
    expect(r.status).toBe('time-limit');
    expect(lrs.length).toBeGreaterThanOrEqual(9);
    expect(lrs.length).toBeLessThanOrEqual(11);
    const cosine = { name: 'cosine', lr: start!.options.lr } as const;
    // Counted against the 40 s but not the schedule's: the first step is at most a tenth into it.
    expect(lrs[0]).toBeGreaterThanOrEqual(scheduledRate(cosine, 0.1));
    expect(lrs.at(-1)).toBe(finalRate(cosine));
    const state = await readCheckpointState(join(r.out, 'checkpoint.safetensors'));
    expect(state.labellingSeconds).toBe(30);
    expect(state.seconds).toBeGreaterThanOrEqual(39);
  }, 60_000);

  it('says so when no reading is confident enough, and needs a model to read with', async () => {
    const top = Math.max(...readings.map((r) => r.confidence));
    await expect(train(selfTrain('none', Math.min(1, top + 1e-6)))).rejects.toThrow(/read none of the 24 images in .*pool with a confidence of at least/);
    await expect(train({ ...selfTrain('no-init', 0.5), init: undefined, model: 'tiny' })).rejects.toThrow(/--unlabelled .*pool needs --init MODEL/);
  }, 60_000);
});
