import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DataParallelTable, setBackend, tf, type Criterion, type Tensor } from '@captcha-nn/core';
import { batches } from '@captcha-nn/data';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readCheckpointState } from './checkpoint';
import { openRunData } from './data';
import { evaluateModel } from './metrics';
import { openDataParallel } from './workers';
import { buildTinyCaptcha, registerModel } from './registry';
import { textTask } from './task';
import { ctcTask } from './ctcTask';
import type { TrainOptions } from './options';
import { train } from './trainer';
import { TINY_DATA, metricsOf, tempDir, tensorsOf, tinyCtcNet, tinyTableNet } from './test/helpers';

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

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

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
      const forward = vi.spyOn(DataParallelTable.prototype, 'forward');
      const many = await train(base(`w${n}`, { workers: n, ...cfg }), { onStart: (s) => (used = s.workers.used), onStep: (s) => (accuracy = s.accuracy) });
      // Validation (16 images at batch 8) ran over the replicas, and scored as one thread did.
      expect(forward).toHaveBeenCalledTimes(2);
      forward.mockRestore();
      const [v1, vn] = [metricsOf(one.out)[0]!, metricsOf(many.out)[0]!];
      expect(vn.valCharAccuracy).toBe(v1.valCharAccuracy);
      expect(Math.abs((vn.valLoss as number) - (v1.valLoss as number))).toBeLessThan(1e-4);
      expect([one.status, many.status, one.step, many.step]).toEqual(['completed', 'completed', 4, 4]);
      expect(used).toBe(n);
      expect(accuracy).toBeNull(); // the fused data-parallel step keeps no outputs
      const a = await tensorsOf(one.checkpoint);
      const b = await tensorsOf(many.checkpoint);
      const weights = Object.keys(a).filter((k) => k.startsWith('model/'));
      expect(weights.length).toBe(6);
      for (const k of weights) expect(maxDiff(a[k]!, b[k]!), k).toBeLessThan(tol);
      expect((await readCheckpointState<TrainOptions>(many.checkpoint)).options.workers).toBe(n);
      expect(metricsOf(many.out)[0]).toMatchObject({ trainCharAccuracy: null });
      expect(existsSync(join(many.out, 'best', 'model.json'))).toBe(true);
    });
  }
});

describe('validation over the data-parallel replicas', () => {
  it('scores as one thread does, with the weights of the last step, and frees every output', async () => {
    await setBackend('wasm');
    const data = await openRunData(TINY_DATA, '5');
    const { model, task } = buildTinyCaptcha({
      variant: 'compact',
      numClasses: data.encoder.numClasses,
      length: data.maxLength,
      height: 16,
      width: 48,
      channels: 1,
    });
    const dp = await openDataParallel(model, { requested: 2, used: 2 });
    try {
      // A step the worker computes, then an update it has not seen: its forward must load the new weights.
      const b = (await batches(data.trainSource(0), { batchSize: 8 }).next()).value!;
      model.training();
      model.zeroGradParameters();
      await dp!.backward(task.criterion, b.x, task.target(b.y) as Tensor);
      b.dispose();
      model.updateParameters(0.5);
      const opts = { batchSize: 7, encoder: data.encoder, task, withLoss: true };
      const one = (await evaluateModel(model, data.validation!, opts))!;
      const before = tf.memory().numTensors;
      const forwards: number[] = [];
      const split = (await evaluateModel(model, data.validation!, {
        ...opts,
        forward: (x) => (forwards.push(x.shape[0]), dp!.forward(x)),
      }))!;
      expect(tf.memory().numTensors).toBe(before);
      expect(forwards).toEqual([7, 7, 2]);
      expect([split.count, split.captchaAccuracy, split.charAccuracy]).toEqual([one.count, one.captchaAccuracy, one.charAccuracy]);
      expect(Math.abs(split.loss! - one.loss!)).toBeLessThan(1e-5);
    } finally {
      await dp?.dispose();
      model.dispose();
    }
  });
});

// A model whose criterion class is registered only by an imported file: the workers need `imports`.
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'test', 'tableCriterion.mjs');
registerModel('test-table-custom', async (o) => {
  const { TestTableNLLCriterion } = (await import(pathToFileURL(FIXTURE).href)) as { TestTableNLLCriterion: new () => Criterion };
  return { model: tinyTableNet(o), task: textTask('table', new TestTableNLLCriterion()) };
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

registerModel('test-tiny-ctc', (o) => {
  const { model, steps } = tinyCtcNet(o);
  return { model, task: ctcTask({ blank: o.numClasses - 1, steps }) };
});

describe('--workers with a CTC task (a number[][] target, sharded by sample)', () => {
  it('2 workers give the weights of 1 worker, on labels of 1 to 3 characters', async () => {
    const cfg = { model: 'test-tiny-ctc', optim: 'adam' as const, lr: 0.01, data: { ...TINY_DATA, length: [1, 3] as const } };
    const one = await train(base('ctc-1', { ...cfg, workers: 1 }));
    const two = await train(base('ctc-2', { ...cfg, workers: 2 }));
    expect([one.step, two.step]).toEqual([4, 4]);
    const a = await tensorsOf(one.checkpoint);
    const b = await tensorsOf(two.checkpoint);
    const weights = Object.keys(a).filter((k) => k.startsWith('model/'));
    expect(weights.length).toBe(4);
    for (const k of weights) expect(maxDiff(a[k]!, b[k]!), k).toBeLessThan(1e-5);
    // every label fits the 12 steps: a finite validation loss
    expect(Number.isFinite(one.lastValidation?.loss)).toBe(true);
  });
});
