import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Linear, LogSoftMax, ReLU, Sequential, SpatialConvolution, SpatialMaxPooling, SplitTable, View, loadSafetensors, type Criterion, type Tensor } from '@captcha-nn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint';
import { registerModel } from './registry';
import { COSINE_FLOOR, learningRateAt, train, type TrainOptions } from './trainer';
import { TINY_DATA, tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

const base = (out: string, more: Partial<TrainOptions> = {}): Partial<TrainOptions> & { out: string } => ({
  model: 'tiny',
  data: TINY_DATA,
  epochs: 1,
  batchSize: 8,
  lr: 0.01,
  optim: 'adam',
  seed: '5',
  backend: 'wasm',
  ...more,
  out: join(tmp.dir, out),
});

async function tensorsOf(path: string): Promise<Record<string, Float32Array>> {
  const { tensors } = await loadSafetensors(path);
  const out: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(tensors)) {
    out[k] = (t as Tensor).dataSync() as Float32Array;
    (t as Tensor).dispose();
  }
  return out;
}

const metrics = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ seconds: _s, samplesPerSecond: _p, time: _t, ...rest }) => rest);

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('--workers (DataParallelTable)', () => {
  // tiny: no BatchNorm, no Dropout, so the sharded gradient is the full batch's up to float rounding.
  const cases: Array<[string, Partial<TrainOptions>, number, number]> = [
    ['adam lr 0.002 (the recipe), 2 workers', { optim: 'adam', lr: 0.002 }, 2, 1e-5],
    ['sgd, 3 workers (uneven shards 3+3+2)', { optim: 'sgd', lr: 0.05 }, 3, 1e-6],
  ];
  for (const [name, cfg, n, tol] of cases) {
    it(`${name} give the weights of 1 worker within ${tol} after 4 steps`, async () => {
      const one = await train(base(`w1-${n}`, { workers: 1, ...cfg }));
      let accuracy: number | null | undefined;
      let used = 0;
      const many = await train(base(`w${n}`, { workers: n, ...cfg }), { onStart: (s) => (used = s.workers.used), onStep: (s) => (accuracy = s.accuracy) });
      expect([one.status, many.status, one.step, many.step]).toEqual(['completed', 'completed', 4, 4]);
      expect(used).toBe(n);
      expect(accuracy).toBeNull(); // the fused data-parallel step keeps no outputs
      const a = await tensorsOf(one.checkpoint);
      const b = await tensorsOf(many.checkpoint);
      const weights = Object.keys(a).filter((k) => k.startsWith('model/'));
      expect(weights.length).toBe(6);
      for (const k of weights) expect(maxDiff(a[k]!, b[k]!), k).toBeLessThan(tol);
      expect((await readCheckpointState<TrainOptions>(many.checkpoint)).options.workers).toBe(n);
      expect(metrics(many.out)[0]).toMatchObject({ trainCharAccuracy: null });
      expect(existsSync(join(many.out, 'best', 'model.json'))).toBe(true);
    });
  }
});

// A model whose criterion class is registered only by an imported file: the workers need `imports`.
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'test', 'tableCriterion.mjs');
registerModel('test-table-custom', async (o) => {
  const { TestTableNLLCriterion } = (await import(pathToFileURL(FIXTURE).href)) as { TestTableNLLCriterion: new () => Criterion };
  const h = Math.floor(o.height / 4);
  const w = Math.floor(o.width / 4);
  const model = new Sequential(
    new SpatialConvolution(o.channels, 8, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(4, 4, 4, 4),
    new View(-1, 8 * h * w),
    new Linear(8 * h * w, o.length * o.numClasses),
    new View(-1, o.length, o.numClasses),
    new LogSoftMax(),
    new SplitTable(1),
  );
  return { model, criterion: new TestTableNLLCriterion(), targetFormat: 'table' };
});

describe('--workers with custom classes (imports)', () => {
  it('a criterion registered by a module: the workers fail without imports, and match 1 worker with them ("table" targets)', async () => {
    const cfg = { model: 'test-table-custom', optim: 'sgd' as const, lr: 0.05 };
    await expect(train(base('custom-no-imports', { ...cfg, workers: 2 }))).rejects.toThrow(/TestTableNLLCriterion/);
    const one = await train(base('custom-1', { ...cfg, workers: 1 }));
    const two = await train(base('custom-2', { ...cfg, workers: 2, imports: [FIXTURE] }));
    expect(two.step).toBe(4);
    const a = await tensorsOf(one.checkpoint);
    const b = await tensorsOf(two.checkpoint);
    for (const k of Object.keys(a).filter((k) => k.startsWith('model/'))) expect(maxDiff(a[k]!, b[k]!), k).toBeLessThan(1e-6);
  });
});

describe('--schedule cosine, --time-limit', () => {
  it('cosine: lr at step 0, half-way and the end, then the 2% floor', () => {
    const o = { lr: 0.002, schedule: 'cosine' as const };
    expect(learningRateAt(o, 0, 100)).toBeCloseTo(0.002, 12);
    expect(learningRateAt(o, 50, 100)).toBeCloseTo(0.002 * (COSINE_FLOOR + (1 - COSINE_FLOOR) / 2), 12);
    expect(learningRateAt(o, 25, 100)).toBeCloseTo(0.002 * (0.02 + 0.98 * 0.5 * (1 + Math.SQRT1_2)), 12);
    expect(learningRateAt(o, 100, 100)).toBeCloseTo(0.002 * 0.02, 12);
    expect(learningRateAt(o, 250, 100)).toBeCloseTo(0.002 * 0.02, 12);
    expect(learningRateAt({ lr: 0.002, schedule: 'none' }, 50, 100)).toBe(0.002);
  });

  it('the trainer steps with the schedule, and --resume continues it exactly (interrupted, resumed with fewer epochs, extended)', async () => {
    const opts = { epochs: 3, lr: 0.002, schedule: 'cosine' as const, weightDecay: 1e-4 };
    const lrs: number[] = [];
    const whole = await train(base('cos-whole', opts), { onStep: (s) => lrs.push(s.learningRate) });
    expect(whole.step).toBe(12);
    expect(lrs).toEqual(Array.from({ length: 12 }, (_, s) => learningRateAt({ lr: 0.002, schedule: 'cosine' }, s, 12)));
    expect(metrics(whole.out).map((r) => r.learningRate)).toEqual([lrs[3], lrs[7], lrs[11]]);

    const parts = base('cos-parts', opts);
    const ctl = new AbortController();
    expect((await train(parts, { signal: ctl.signal, onStep: (s) => s.step === 5 && ctl.abort() })).status).toBe('interrupted');
    const st = await readCheckpointState(join(parts.out, 'checkpoint.safetensors'));
    expect([st.step, st.scheduleSteps, st.learningRate]).toEqual([5, 12, lrs[4]]);
    const resumedLrs: number[] = [];
    expect((await train({ out: parts.out, resume: true, epochs: 2 }, { onStep: (s) => resumedLrs.push(s.learningRate) })).step).toBe(8);
    expect(resumedLrs).toEqual(lrs.slice(5, 8)); // the horizon stays the run's 12 steps
    expect((await train({ out: parts.out, resume: true, epochs: 3 })).step).toBe(12);

    const a = await tensorsOf(whole.checkpoint);
    const b = await tensorsOf(join(parts.out, 'checkpoint.safetensors'));
    for (const k of Object.keys(a)) expect(Array.from(b[k]!), k).toEqual(Array.from(a[k]!));
    expect(metrics(parts.out)).toEqual(metrics(whole.out));
  });

  it('a time limit stops after the step, validates, saves best/ and a checkpoint; --resume without the limit ends as an uninterrupted run', async () => {
    const opts = { epochs: 3, lr: 0.002, schedule: 'cosine' as const, weightDecay: 1e-4 };
    const o = base('timed', { ...opts, timeLimit: 1e-6 });
    let validated = 0;
    const r = await train(o, { onValidation: () => validated++ });
    expect([r.status, r.step, r.epochs]).toEqual(['time-limit', 1, 0]);
    expect(validated).toBeGreaterThan(0);
    expect(r.lastValidation).not.toBeNull();
    expect(r.best?.step).toBe(1);
    expect(existsSync(join(o.out, 'best', 'model.json'))).toBe(true);
    const st = await readCheckpointState(join(o.out, 'checkpoint.safetensors'));
    expect([st.epoch, st.batchInEpoch, st.step]).toEqual([0, 1, 1]);
    expect(metrics(o.out)).toMatchObject([{ epoch: 1, step: 1, partial: true }]);

    // Same limit: one more step. No limit: the rest, with the same weights as the uninterrupted run.
    expect((await train({ out: o.out, resume: true })).step).toBe(2);
    const done = await train({ out: o.out, resume: true, timeLimit: 0 });
    expect([done.status, done.step]).toEqual(['completed', 12]);
    const a = await tensorsOf(join(tmp.dir, 'cos-whole', 'checkpoint.safetensors'));
    const b = await tensorsOf(done.checkpoint);
    for (const k of Object.keys(a)) expect(Array.from(b[k]!), k).toEqual(Array.from(a[k]!));
    expect(metrics(o.out)).toEqual(metrics(join(tmp.dir, 'cos-whole')));
  });
});
