import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Module, type Tensor } from '@captcha-nn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint';
import { evaluateRun } from './evaluate';
import { predictFiles } from './predict';
import { batches, generatorSource } from '@captcha-nn/data';
import { makeGenerator } from './data';
import type { Decoded } from './metrics';
import { textTask } from './task';
import { loadCaptchaModel } from './modelio';
import type { TrainOptions } from './options';
import { writeTinyPngs } from './testing';
import { progressCallbacks } from './progress';
import { train } from './trainer';
import { TINY_DATA, metricsOf, tempDir, tensorsOf } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

const base = (out: string, epochs: number): Partial<TrainOptions> & { out: string } => ({
  model: 'tiny',
  data: TINY_DATA,
  epochs,
  batchSize: 8,
  lr: 0.01,
  optim: 'adam',
  seed: '7',
  backend: 'wasm',
  out: join(tmp.dir, out),
});

/** A fixed validation-like batch: the inputs the round-trip test compares predictions on. */
async function probeBatch(): Promise<{ x: Tensor; labels: string[] }> {
  const gen = makeGenerator(TINY_DATA, 'probe');
  for await (const b of batches(generatorSource(gen, { count: 12, format: 'gray' }), { batchSize: 12, shuffle: false })) {
    b.y.dispose();
    b.lengths.dispose();
    return { x: b.x, labels: b.labels };
  }
  throw new Error('unreachable');
}

describe('train → save → load → predict → eval', () => {
  it('learns (the loss falls), keeps the best model, and the loaded model predicts exactly as the trained one', async () => {
    const probe = await probeBatch();
    let model: Module | undefined;
    let bestPrediction: Decoded | undefined;
    const losses: number[] = [];
    const opts = base('e2e', 8);
    const r = await train(opts, {
      onStart: (s) => (model = s.model),
      onEpochEnd: (rec, _v, isBest) => {
        losses.push(rec.trainLoss);
        if (isBest) {
          model!.evaluate();
          bestPrediction = textTask('tensor').decode(model!.forward(probe.x));
        }
      },
    });
    expect(r.status).toBe('completed');
    expect(r.step).toBe(8 * 4);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]! * 0.7);
    for (const f of ['checkpoint.safetensors', 'metrics.jsonl', 'curves.png', 'best/model.json', 'best/weights.safetensors'])
      expect(existsSync(join(opts.out, f)), f).toBe(true);
    expect(readFileSync(join(opts.out, 'curves.png')).subarray(1, 4).toString()).toBe('PNG');

    // Round trip: the saved best model gives the very same outputs.
    const loaded = await loadCaptchaModel(opts.out);
    expect(loaded.metadata.charset).toBe('ab12');
    expect(loaded.metadata.input).toEqual({ height: 16, width: 48, channels: 1 });
    const again = loaded.task.decode(loaded.model.forward(probe.x));
    expect(again).toEqual(bestPrediction);
    probe.x.dispose();

    // Predict from PNG files on disk, and evaluate on the same folder.
    const dir = join(tmp.dir, 'pngs');
    await writeTinyPngs(dir, 12, 'files');
    const names = readdirSync(dir).sort();
    const preds = await predictFiles(
      loaded,
      names.map((n) => join(dir, n)),
    );
    expect(preds).toHaveLength(12);
    for (const p of preds) {
      expect(p.error).toBeUndefined();
      expect(p.text).toMatch(/^[ab12]{0,2}$/);
      expect(p.confidence).toBeGreaterThan(0);
      expect(p.confidence).toBeLessThanOrEqual(1);
    }
    const ev = await evaluateRun({ model: opts.out, data: { dir } }, loaded);
    expect(ev.count).toBe(12);
    const right = preds.filter((p) => p.file.endsWith(`_${p.text}.png`)).length;
    expect(ev.captchaAccuracy).toBeCloseTo(right / 12, 10);
    expect(ev.perPosition).toHaveLength(2);
    expect(ev.charAccuracy).toBeGreaterThanOrEqual(ev.captchaAccuracy);
    expect(ev.imagesPerSecond).toBeGreaterThan(0);
    const evGen = await evaluateRun({ model: opts.out, generate: { generator: 'simple', count: 16, seed: 'x' } }, loaded);
    expect(evGen.count).toBe(16);
    loaded.model.dispose();
  });

  it('--resume continues exactly: same steps, weights, optimizer state and metrics as an uninterrupted run', async () => {
    const whole = base('whole', 3);
    const a = await train(whole);
    expect(a.step).toBe(12);

    // Interrupted mid-epoch 2 (after step 6), resumed for 2 epochs, then extended to 3.
    const parts = base('parts', 3);
    const ctl = new AbortController();
    const b1 = await train(parts, { signal: ctl.signal, onStep: (s) => s.step === 6 && ctl.abort() });
    expect(b1.status).toBe('interrupted');
    const st = await readCheckpointState(join(parts.out, 'checkpoint.safetensors'));
    expect([st.epoch, st.position, st.step]).toEqual([1, 16, 6]);
    const b2 = await train({ out: parts.out, resume: true, epochs: 2 });
    expect([b2.status, b2.step]).toEqual(['completed', 8]);
    const b3 = await train({ out: parts.out, resume: true, epochs: 3 });
    expect([b3.status, b3.step]).toEqual(['completed', 12]);

    const ta = await tensorsOf(a.checkpoint);
    const tb = await tensorsOf(b3.checkpoint);
    expect(Object.keys(tb).sort()).toEqual(Object.keys(ta).sort());
    expect(Object.keys(ta).some((k) => k.startsWith('optim/m/'))).toBe(true);
    for (const k of Object.keys(ta)) expect(Array.from(tb[k]!), k).toEqual(Array.from(ta[k]!));
    const sa = await readCheckpointState(a.checkpoint);
    const sb = await readCheckpointState(b3.checkpoint);
    expect(sb.optimScalars).toEqual(sa.optimScalars);
    expect([sb.step, sb.epoch, sb.samples]).toEqual([sa.step, sa.epoch, sa.samples]);
    expect(metricsOf(parts.out)).toEqual(metricsOf(whole.out));
    expect(await tensorsOf(join(parts.out, 'best/weights.safetensors'))).toEqual(await tensorsOf(join(whole.out, 'best/weights.safetensors')));
  });

  it('--val-every 2 validates epochs 2 and 3 (the last) only, picks best/ among them, and trains exactly as validating every epoch', async () => {
    const every = { ...base('val-every', 3), valEvery: 2 };
    const lines: string[] = [];
    const stream = { write: (line: string) => lines.push(line), isTTY: false } as unknown as NodeJS.WriteStream;
    const r = await train(every, progressCallbacks({ tty: false, stream }));
    expect(lines.filter((l) => l.startsWith('epoch 1/3  ')).join('')).toMatch(/\(validated every 2 epochs\)/);
    const m = metricsOf(every.out);
    const validated = m.map((e) => e.valCaptchaAccuracy !== null);
    expect(validated).toEqual([false, true, true]);
    expect([2, 3]).toContain(r.best?.epoch);
    expect(r.best?.validated).toBe(true);
    const whole = metricsOf(base('whole', 3).out);
    expect(m.map((e) => e.trainLoss)).toEqual(whole.map((e) => e.trainLoss));
    expect(m.slice(1)).toEqual(whole.slice(1));
    const ta = await tensorsOf(join(base('whole', 3).out, 'checkpoint.safetensors'));
    const tb = await tensorsOf(r.checkpoint);
    for (const k of Object.keys(ta)) expect(Array.from(tb[k]!), k).toEqual(Array.from(ta[k]!));
    await expect(train({ ...base('val-every-0', 1), valEvery: 0 })).rejects.toThrow(/--val-every must be a whole number of epochs >= 1, got 0/);
  });

  it('refuses to overwrite a run, and to change the run on --resume', async () => {
    const o = base('whole', 3);
    await expect(train(o)).rejects.toThrow(/already holds a training run.*--resume/);
    await expect(train({ out: o.out, resume: true, lr: 0.5 })).rejects.toThrow(/lr was 0.01 and cannot change/);
    await expect(train({ out: join(tmp.dir, 'nothing'), resume: true })).rejects.toThrow(/no checkpoint/);
  });

  it('loading checks the metadata against the model: a charset that does not fit its outputs, rgb preprocessing on a gray model, a length it does not read', async () => {
    const o = base('meta', 1);
    await train(o);
    const json = JSON.parse(readFileSync(join(o.out, 'best', 'model.json'), 'utf8')) as { metadata: Record<string, unknown> };
    const variant = (name: string, change: (m: Record<string, unknown>) => void) => {
      const dir = join(tmp.dir, `meta-${name}`);
      cpSync(join(o.out, 'best'), dir, { recursive: true });
      const m = structuredClone(json);
      change(m.metadata);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
      return dir;
    };
    await expect(loadCaptchaModel(variant('charset', (m) => (m.charset = 'ab')))).rejects.toThrow(
      /meta-charset\/model.json: the charset has 2 characters \(3 classes with the blank\), but the model outputs 5 classes/,
    );
    await expect(loadCaptchaModel(variant('rgb', (m) => ((m.preprocessing as Record<string, unknown>).channels = 'rgb')))).rejects.toThrow(
      /preprocessing 'rgb' gives 3 channel\(s\), but the model's input has 1/,
    );
    await expect(loadCaptchaModel(variant('length', (m) => (m.length = 5)))).rejects.toThrow(
      /the metadata says 5 characters, but the model outputs 2 positions/,
    );
    const ok = await loadCaptchaModel(variant('same', () => undefined));
    ok.model.dispose();
  });

  it('a diverging run stops naming the step, with advice a new run can follow (not a flag --resume refuses)', async () => {
    await expect(train({ ...base('diverge', 1), optim: 'sgd', lr: 1e38 })).rejects.toThrow(
      /the loss is (NaN|-?Infinity) at step \d+: training diverged\. Start a new run \(another --out\) with a lower --lr than 1e\+38 or a decaying --schedule/,
    );
  });
});
