import { join } from 'node:path';
import { BatchNormalization, Linear, Sequential, setBackend, tf, type Tensor } from '@captcha-nn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint';
import { openRunData } from './data';
import { ExponentialMovingAverage, emaDecayAt } from './ema';
import { evaluateModel } from './metrics';
import { loadCaptchaModel } from './modelio';
import { resolveTrainOptions, type TrainOptions } from './options';
import { TINY_DATA, metricsOf, tempDir, tensorsOf } from './test/helpers';
import { train } from './trainer';

const tmp = tempDir();
afterAll(tmp.cleanup);
beforeAll(async () => {
  await setBackend('wasm');
});

/** Linear(3, 2) → BatchNormalization(2): parameters, float buffers and an int32 buffer. */
function net(): Sequential {
  return new Sequential(new Linear(3, 2), new BatchNormalization(2));
}

function valuesOf(sd: Record<string, Tensor>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, Array.from(t.dataSync())]));
}

/** The model's state as arrays (the copies freed). */
function stateOf(m: Sequential): Record<string, number[]> {
  const sd = m.stateDict();
  const v = valuesOf(sd);
  for (const t of Object.values(sd)) t.dispose();
  return v;
}

/** A training-mode forward pass: new weights and running statistics, and one more batch tracked. */
function perturb(m: Sequential, seed: number): void {
  const sd = m.stateDict();
  const next = Object.fromEntries(
    Object.entries(sd).map(([k, t]) => [k, t.dtype === 'float32' ? tf.add(t, tf.randomNormal(t.shape, 0, 1, 'float32', seed)) : t.clone()]),
  );
  m.loadStateDict(next);
  m.training();
  const x = tf.randomNormal([4, 3], 0, 1, 'float32', seed + 1);
  m.forward(x);
  x.dispose();
  m.clearState();
  for (const t of [...Object.values(sd), ...Object.values(next)]) t.dispose();
}

describe('ExponentialMovingAverage', () => {
  it("decays as TensorFlow's ExponentialMovingAverage with num_updates: min(decay, (1 + t) / (10 + t))", () => {
    expect(emaDecayAt(0.999, 1)).toBeCloseTo(2 / 11, 12);
    expect(emaDecayAt(0.999, 100)).toBeCloseTo(101 / 110, 12);
    expect(emaDecayAt(0.999, 100_000)).toBe(0.999);
  });

  it('moves floats toward the model by 1 - d and copies integer buffers', () => {
    const m = net();
    const ema = new ExponentialMovingAverage(0.5, m);
    const before = stateOf(m);
    perturb(m, 1);
    const after = stateOf(m);
    ema.update(m, 1000);
    const avg = valuesOf(ema.state());
    expect(Object.keys(avg).sort()).toEqual(Object.keys(after).sort());
    expect(avg['1.num_batches_tracked']).toEqual(after['1.num_batches_tracked']);
    expect(after['1.num_batches_tracked']).not.toEqual(before['1.num_batches_tracked']);
    expect(ema.state()['1.num_batches_tracked']!.dtype).toBe('int32');
    for (const k of ['0.weight', '0.bias', '1.weight', '1.running_mean', '1.running_var'])
      after[k]!.forEach((v, i) => expect(avg[k]![i], k).toBeCloseTo(0.5 * before[k]![i]! + 0.5 * v, 6));
    ema.dispose();
    m.dispose();
  });

  it('applied() runs with the average in the model and puts its own state back exactly, also when the callback throws', async () => {
    const m = net();
    const ema = new ExponentialMovingAverage(0.9, m);
    perturb(m, 2);
    ema.update(m, 1);
    const own = stateOf(m);
    const avg = valuesOf(ema.state());
    const tensors = tf.memory().numTensors;
    let inside: Record<string, number[]> = {};
    expect(await ema.applied(m, async () => ((inside = stateOf(m)), 7))).toBe(7);
    expect(inside).toEqual(avg);
    expect(inside['0.weight']).not.toEqual(own['0.weight']);
    expect(stateOf(m)).toEqual(own);
    await expect(
      ema.applied(m, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(stateOf(m)).toEqual(own);
    expect(tf.memory().numTensors).toBe(tensors);
    ema.dispose();
    m.dispose();
  });

  it('load() takes all of a matching state or none of it, naming what does not match', () => {
    const m = net();
    const ema = new ExponentialMovingAverage(0.9, m);
    const start = valuesOf(ema.state());
    const good = m.stateDict();
    const wrongShape = { ...good, '0.weight': tf.zeros([3, 2]) };
    const { '0.bias': _gone, ...missing } = good;
    expect(() => ema.load(wrongShape)).toThrow(/0\.weight is float32 \[3,2\], not float32 \[2,3\]/);
    expect(() => ema.load(missing)).toThrow(/0\.bias is missing/);
    expect(() => ema.load({ ...good, extra: tf.zeros([1]) })).toThrow(/extra is not in the model/);
    expect(valuesOf(ema.state())).toEqual(start);
    expect(() => new ExponentialMovingAverage(1, m)).toThrow(/decay must be in \(0, 1\), got 1/);
    tf.dispose([...Object.values(good), wrongShape['0.weight']]);
    ema.dispose();
    m.dispose();
  });
});

describe('train with ema', () => {
  it('takes a decay in [0, 1), 0 meaning none', () => {
    const base = { model: 'tiny', data: TINY_DATA, out: join(tmp.dir, 'x') };
    expect(() => resolveTrainOptions({ ...base, ema: 1 })).toThrow(/--ema must be a decay in \[0, 1\) \(0: none\), got 1/);
    expect(resolveTrainOptions({ ...base, ema: 0 })).not.toHaveProperty('ema');
    expect(resolveTrainOptions({ ...base, ema: 0.999 }).ema).toBe(0.999);
  });

  const options = (out: string, workers = 1): Partial<TrainOptions> & { out: string } => ({
    model: 'tiny',
    data: TINY_DATA,
    epochs: 2,
    batchSize: 8,
    lr: 0.01,
    seed: '21',
    ema: 0.9,
    workers,
    backend: 'wasm',
    out: join(tmp.dir, out),
  });

  it('validates and saves best/ with the average, and the checkpoint keeps both it and the trained weights', async () => {
    const tensors = tf.memory().numTensors;
    const r = await train({ ...options('one-epoch'), epochs: 1 });
    expect(tf.memory().numTensors).toBe(tensors);
    const ckpt = await tensorsOf(r.checkpoint);
    const modelKeys = Object.keys(ckpt).filter((k) => k.startsWith('model/'));
    expect(Object.keys(ckpt).filter((k) => k.startsWith('ema/'))).toEqual(modelKeys.map((k) => k.replace('model/', 'ema/')));
    expect(ckpt['ema/7.weight']).not.toEqual(ckpt['model/7.weight']);
    const best = await tensorsOf(join(r.out, 'best', 'weights.safetensors'));
    for (const k of Object.keys(best)) expect(best[k], k).toEqual(ckpt[`ema/${k}`]);

    // The epoch's validation loss is the average's, not the trained weights'.
    const loaded = await loadCaptchaModel(r.out);
    const st = await readCheckpointState<TrainOptions>(r.checkpoint);
    const data = await openRunData(st.options.data, st.options.seed);
    const lossWith = async (prefix: string) => {
      const sd = Object.fromEntries(modelKeys.map((k) => [k.slice(6), tf.tensor(ckpt[`${prefix}${k.slice(6)}`]!, loaded.model.stateShapes().get(k.slice(6)))]));
      loaded.model.loadStateDict(sd);
      tf.dispose(Object.values(sd));
      const v = await evaluateModel(loaded.model, data.validation!, { batchSize: 8, encoder: data.encoder, task: loaded.task, withLoss: true });
      return v!.loss!;
    };
    const recorded = metricsOf(r.out)[0]!.valLoss as number;
    expect(await lossWith('ema/')).toBeCloseTo(recorded, 5);
    expect(Math.abs((await lossWith('model/')) - recorded)).toBeGreaterThan(1e-3);
    loaded.model.dispose();
  });

  it('leaves the steps alone: the trained weights are those of a run without it', async () => {
    const { ema: _none, ...plain } = options('without');
    const a = await tensorsOf((await train(plain)).checkpoint);
    const b = await tensorsOf((await train(options('with'))).checkpoint);
    const trained = Object.keys(a).filter((k) => k.startsWith('model/'));
    expect(trained.length).toBeGreaterThan(0);
    for (const k of trained) expect(Array.from(b[k]!), k).toEqual(Array.from(a[k]!));
    expect(Object.keys(a).some((k) => k.startsWith('ema/'))).toBe(false);
  });

  it.each([1, 2])('resumes exactly with %i worker(s): the same weights, average and metrics as an uninterrupted run', async (workers) => {
    const whole = await train(options(`whole-w${workers}`, workers));
    const o = options(`parts-w${workers}`, workers);
    const ctl = new AbortController();
    const first = await train(o, { signal: ctl.signal, onStep: (s) => s.step === whole.step / 2 + 1 && ctl.abort() });
    expect(first.status).toBe('interrupted');
    expect((await train({ out: o.out, resume: true })).status).toBe('completed');
    const a = await tensorsOf(whole.checkpoint);
    const b = await tensorsOf(join(o.out, 'checkpoint.safetensors'));
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(Array.from(b[k]!), k).toEqual(Array.from(a[k]!));
    expect(metricsOf(o.out)).toEqual(metricsOf(whole.out));
  });
});
