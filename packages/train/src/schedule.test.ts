import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { finalRate, scheduledRate } from '@captcha-nn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint';
import { runProgress } from './clock';
import type { TrainOptions } from './options';
import { train } from './trainer';
import { TINY_DATA, metricsOf, tempDir, tensorsOf } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

const base = (out: string, more: Partial<TrainOptions> = {}): Partial<TrainOptions> & { out: string } => ({
  model: 'tiny',
  data: TINY_DATA,
  epochs: 3,
  batchSize: 8,
  lr: 0.002,
  optim: 'adam',
  weightDecay: 1e-4,
  seed: '5',
  backend: 'wasm',
  ...more,
  out: join(tmp.dir, out),
});

const cosine = { name: 'cosine', lr: 0.002 } as const;

describe('runProgress', () => {
  it('the fraction of the planned steps, or of the time budget where that is further along', () => {
    expect(runProgress(3, 12, 0, 0)).toBe(0.25);
    // Half of a 1-minute budget by this step's end: half of the 57 s after its first twentieth.
    expect(runProgress(3, 12, 31.5, 1)).toBe(0.5);
    expect(runProgress(9, 12, 31.5, 1)).toBe(0.75);
    expect(runProgress(20, 12, 0, 0)).toBe(1);
    expect(runProgress(0, 12, 600, 1)).toBe(1);
  });

  it("goes by steps alone in the budget's first twentieth, so a slow start does not move a run the limit never stops", () => {
    // The main job: 3,140 steps in 12 minutes. Its first step, start-up included, took 3 s.
    expect(runProgress(1, 3140, 3, 12)).toBe(1 / 3140);
    expect(runProgress(200, 3140, 36, 12)).toBe(200 / 3140);
    // Past the first 36 s, time counts where it is further along: 68.4 s after them is a tenth.
    expect(runProgress(10, 3140, 104.4, 12)).toBeCloseTo(0.1, 12);
  });

  it('anneals over the time left after reading the unlabelled images', () => {
    // 30 of a 60-second budget went before the first step: 45.75 s in is half-way (1.5 s of grace, then 28.5 s).
    expect(runProgress(0, 100, 45.75, 1, 30)).toBe(0.5);
    expect(runProgress(0, 100, 30, 1, 30)).toBe(0);
    expect(runProgress(60, 100, 30, 1, 30)).toBe(0.6);
    // Reading took the whole budget: the first step is at the schedule's end.
    expect(runProgress(0, 100, 90, 1, 60)).toBe(1);
  });
});

describe('schedules in the trainer', () => {
  it('steps with the schedule, and --resume continues it exactly (interrupted, resumed with fewer epochs, extended)', async () => {
    const lrs: number[] = [];
    const whole = await train(base('cos-whole', { schedule: 'cosine' }), { onStep: (s) => lrs.push(s.learningRate) });
    expect(whole.step).toBe(12);
    expect(lrs).toEqual(Array.from({ length: 12 }, (_, s) => scheduledRate(cosine, s / 12)));
    expect(metricsOf(whole.out).map((r) => r.learningRate)).toEqual([lrs[3], lrs[7], lrs[11]]);

    const parts = base('cos-parts', { schedule: 'cosine' });
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
    expect(metricsOf(parts.out)).toEqual(metricsOf(whole.out));
  });

  it('onecycle warms up, then anneals to its final rate at the last planned step', async () => {
    const lrs: number[] = [];
    await train(base('onecycle', { schedule: 'onecycle', epochs: 2 }), { onStep: (s) => lrs.push(s.learningRate) });
    const s = { name: 'onecycle', lr: 0.002 } as const;
    expect(lrs).toEqual(Array.from({ length: 8 }, (_, i) => scheduledRate(s, i / 8)));
    expect(lrs[0]).toBeCloseTo(0.002 / 25, 12);
    expect(Math.max(...lrs)).toBeGreaterThan(lrs[0]! * 10);
  });

  it('a time limit ends the run at the schedule final rate: the budget, not the planned steps, drives the decay', async () => {
    // A fake clock: every step takes exactly 1 s; the budget is 10 s of a run planned for 300 steps.
    let now = 0;
    const lrs: number[] = [];
    const r = await train(base('timed-cosine', { schedule: 'cosine', epochs: 75, timeLimit: 10 / 60 }), {
      clock: () => now,
      onStep: (s) => {
        lrs.push(s.learningRate);
        now += 1;
      },
    });
    expect(r.status).toBe('time-limit');
    expect(lrs.length).toBeGreaterThanOrEqual(9);
    expect(lrs.length).toBeLessThanOrEqual(11);
    expect(r.learningRate).toBe(finalRate(cosine));
    expect(lrs.at(-1)).toBe(finalRate(cosine));
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]!).toBeLessThanOrEqual(lrs[i - 1]!);
    // Half-way through the budget the rate is near the schedule's half-way rate, far below the step-based one.
    expect(lrs[5]!).toBeLessThan(scheduledRate(cosine, 0.4));
    expect(lrs[5]!).toBeLessThan(scheduledRate(cosine, 5 / 300) / 2);
    const st = await readCheckpointState(join(r.out, 'checkpoint.safetensors'));
    expect(st.learningRate).toBe(finalRate(cosine));
  });

  it('a time limit that ends a whole epoch validates it, though --val-every would not', async () => {
    // 1 s a step on a fake clock, 4 steps an epoch: the 7-second limit stops after step 8 (the first step reads 0 s), the end of epoch 2.
    let now = 0;
    const r = await train(base('timed-val-every', { epochs: 10, timeLimit: 7 / 60, valEvery: 5 }), { clock: () => now, onStep: () => (now += 1) });
    expect([r.status, r.step, r.epochs]).toEqual(['time-limit', 8, 2]);
    expect(metricsOf(r.out).map((e) => [e.epoch, e.partial ?? false, e.valCaptchaAccuracy !== null])).toEqual([
      [1, false, false],
      [2, false, true],
    ]);
    expect(r.best?.epoch).toBe(2);
  });

  it('a time limit stops after the step, validates, saves best/ and a checkpoint; with a constant rate --resume without the limit ends as an uninterrupted run', async () => {
    const whole = await train(base('const-whole'));
    const o = base('timed', { timeLimit: 1e-6 });
    let validated = 0;
    const r = await train(o, { onValidation: () => validated++ });
    expect([r.status, r.step, r.epochs]).toEqual(['time-limit', 1, 0]);
    expect(validated).toBeGreaterThan(0);
    expect(r.lastValidation).not.toBeNull();
    expect(r.best?.step).toBe(1);
    expect(existsSync(join(o.out, 'best', 'model.json'))).toBe(true);
    const st = await readCheckpointState(join(o.out, 'checkpoint.safetensors'));
    expect([st.epoch, st.position, st.step]).toEqual([0, 8, 1]);
    expect(metricsOf(o.out)).toMatchObject([{ epoch: 1, step: 1, partial: true }]);

    // Same limit: one more step. No limit: the rest, with the same weights as the uninterrupted run.
    expect((await train({ out: o.out, resume: true })).step).toBe(2);
    const done = await train({ out: o.out, resume: true, timeLimit: 0 });
    expect([done.status, done.step]).toEqual(['completed', 12]);
    const a = await tensorsOf(whole.checkpoint);
    const b = await tensorsOf(done.checkpoint);
    for (const k of Object.keys(a)) expect(Array.from(b[k]!), k).toEqual(Array.from(a[k]!));
    expect(metricsOf(o.out)).toEqual(metricsOf(whole.out));
  });
});
