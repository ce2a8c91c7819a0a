import { appendFileSync, cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Dropout, Sequential, saveSafetensors, tf } from '@captcha-nn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint';
import type { FolderDataSpec } from './data';
import type { TrainOptions } from './options';
import { buildTinyCaptcha, registerModel } from './registry';
import { writeTinyPngs } from './testing';
import { train } from './trainer';
import { TINY_DATA, metricsOf, tempDir, tensorsOf } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

// 100 labelled 48x16 captchas and 20 zero-byte files named like them, which the loader skips.
const folder = join(tmp.dir, 'images');
beforeAll(async () => {
  await writeTinyPngs(folder, 100, 'folder');
  for (let i = 0; i < 20; i++) writeFileSync(join(folder, `9${i}_ab.png`), '');
});

const folderRun = (out: string, data: FolderDataSpec['dir'] = folder): Partial<TrainOptions> & { out: string } => ({
  model: 'tiny',
  data: { kind: 'folder', dir: data, valSplit: 0.1, channels: 'gray' },
  epochs: 2,
  batchSize: 16,
  seed: '5',
  workers: 1,
  backend: 'wasm',
  out: join(tmp.dir, out),
});

async function expectSameRun(a: string, b: string): Promise<void> {
  const ta = await tensorsOf(join(a, 'checkpoint.safetensors'));
  const tb = await tensorsOf(join(b, 'checkpoint.safetensors'));
  expect(Object.keys(tb).sort()).toEqual(Object.keys(ta).sort());
  for (const k of Object.keys(ta)) expect(Array.from(tb[k]!), k).toEqual(Array.from(ta[k]!));
  expect(metricsOf(b)).toEqual(metricsOf(a));
}

describe('resume is exact whatever the data held', () => {
  it('a folder with unreadable files: interrupted at epoch 2 step 3 and resumed, it takes the same steps and ends with the same tensors', async () => {
    expect(readdirSync(folder)).toHaveLength(120);
    const whole = await train(folderRun('folder-whole'));
    const ctl = new AbortController();
    const part = folderRun('folder-parts');
    const stepsPerEpoch = whole.step / 2;
    const first = await train(part, { signal: ctl.signal, onStep: (s) => s.step === stepsPerEpoch + 3 && ctl.abort() });
    expect(first.status).toBe('interrupted');
    const st = await readCheckpointState(join(part.out, 'checkpoint.safetensors'));
    // The position counts the items consumed, skipped ones included: more than 3 batches' worth here or there.
    expect([st.epoch, st.step]).toEqual([1, stepsPerEpoch + 3]);
    expect(st.position).toBeGreaterThanOrEqual(3 * 16);
    const rest = await train({ out: part.out, resume: true });
    expect([rest.status, rest.step]).toEqual(['completed', whole.step]);
    await expectSameRun(whole.out, part.out);
  });

  it('stores --data as an absolute path, so resuming from another directory reads the same folder', async () => {
    const rel = relative(process.cwd(), folder);
    const o = folderRun('relative', rel);
    const ctl = new AbortController();
    await train(o, { signal: ctl.signal, onStep: (s) => s.step === 2 && ctl.abort() });
    const st = await readCheckpointState<TrainOptions>(join(o.out, 'checkpoint.safetensors'));
    expect((st.options.data as FolderDataSpec).dir).toBe(folder);
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      expect((await train({ out: o.out, resume: true })).status).toBe('completed');
    } finally {
      process.chdir(cwd);
    }
    await expectSameRun(join(tmp.dir, 'folder-whole'), o.out);
  });
});

// Every kind of data, with one worker and with two, interrupted mid-epoch, after the last step of an epoch (before its
// validation), and after an epoch's end: the resumed run ends with the uninterrupted run's tensors and metrics.
type Cut = 'mid-epoch' | 'last step' | 'epoch end';
const DATA_KINDS = ['generated', 'folder with bad files', 'augmented'] as const;
const matrix = DATA_KINDS.flatMap((data) => [1, 2].map((workers) => [data, workers] as const));
describe.each(matrix)('resume matrix: %s data, %i worker(s)', (data, workers) => {
  const options = (out: string): Partial<TrainOptions> & { out: string } => ({
    ...(data === 'folder with bad files'
      ? folderRun(out)
      : {
          model: 'tiny',
          data: data === 'augmented' ? { ...TINY_DATA, augment: 'light' as const } : TINY_DATA,
          epochs: 2,
          batchSize: 8,
          seed: '11',
          backend: 'wasm',
          out: join(tmp.dir, out),
        }),
    workers,
  });
  const name = `${data.replace(/ /g, '-')}-w${workers}`;
  let whole = '';
  let stepsPerEpoch = 0;
  beforeAll(async () => {
    const r = await train(options(`${name}-whole`));
    whole = r.out;
    stepsPerEpoch = r.step / 2;
  });
  it.each(['mid-epoch', 'last step', 'epoch end'] satisfies Cut[])('interrupted at the %s', async (cut) => {
    const o = options(`${name}-${cut.replace(/ /g, '-')}`);
    const ctl = new AbortController();
    const stopAt = cut === 'mid-epoch' ? stepsPerEpoch + 1 : stepsPerEpoch;
    const first = await train(o, {
      signal: ctl.signal,
      onStep: (s) => cut !== 'epoch end' && s.step === stopAt && ctl.abort(),
      onEpochEnd: (r) => cut === 'epoch end' && r.epoch === 1 && ctl.abort(),
    });
    expect(first.status).toBe('interrupted');
    const st = await readCheckpointState(join(o.out, 'checkpoint.safetensors'));
    expect(st.epoch).toBe(cut === 'mid-epoch' ? 1 : cut === 'last step' ? 0 : 1);
    expect((await train({ out: o.out, resume: true })).status).toBe('completed');
    await expectSameRun(whole, o.out);
  });
});

// Dropout's masks in the worker replicas come from the main thread's reseeded stream, so they are replayed on resume too.
registerModel('tiny-dropout', (o) => {
  const { model, task } = buildTinyCaptcha(o);
  const layers = (model as Sequential).modules;
  return { model: new Sequential(...layers.slice(0, 7), new Dropout(0.3), ...layers.slice(7)), task };
});

describe('resume with Dropout over 2 workers', () => {
  it("interrupted mid-epoch and resumed, it ends with the uninterrupted run's tensors", async () => {
    const options = (out: string): Partial<TrainOptions> & { out: string } => ({
      model: 'tiny-dropout',
      data: TINY_DATA,
      epochs: 2,
      batchSize: 8,
      seed: '13',
      workers: 2,
      backend: 'wasm',
      out: join(tmp.dir, out),
    });
    const whole = await train(options('dropout-whole'));
    const o = options('dropout-parts');
    const ctl = new AbortController();
    const first = await train(o, { signal: ctl.signal, onStep: (s) => s.step === whole.step / 2 + 1 && ctl.abort() });
    expect(first.status).toBe('interrupted');
    expect((await train({ out: o.out, resume: true })).status).toBe('completed');
    await expectSameRun(whole.out, o.out);
  });
});

describe('resume refuses a folder that changed', () => {
  it('a file added to --data after the start: --resume says what changed instead of training on other data', async () => {
    const copy = join(tmp.dir, 'images-copy');
    cpSync(folder, copy, { recursive: true });
    const o = folderRun('changed', copy);
    const ctl = new AbortController();
    await train(o, { signal: ctl.signal, onStep: (s) => s.step === 2 && ctl.abort() });
    cpSync(join(copy, readdirSync(copy).find((f) => !f.startsWith('9'))!), join(copy, 'extra_ab.png'));
    await expect(train({ out: o.out, resume: true })).rejects.toThrow(
      /--resume: .*images-copy changed since the run started \(120 files, \d+ bytes then; 121 files, \d+ bytes now\)/,
    );
  });
});

describe('what a crash leaves behind does not block resume', () => {
  const generated = (out: string): Partial<TrainOptions> & { out: string } => ({
    model: 'tiny',
    data: TINY_DATA,
    epochs: 2,
    batchSize: 8,
    seed: '3',
    workers: 1,
    backend: 'wasm',
    out: join(tmp.dir, out),
  });

  it('a torn last line of metrics.jsonl is dropped, and stale .tmp files are removed', async () => {
    const whole = await train(generated('clean'));
    const o = generated('crashed');
    const ctl = new AbortController();
    await train(o, { signal: ctl.signal, onStep: (s) => s.step === 6 && ctl.abort() });
    appendFileSync(join(o.out, 'metrics.jsonl'), '{"type":"epoch","epoch":2,"st');
    writeFileSync(join(o.out, '.checkpoint.safetensors.123.456.abc.tmp'), Buffer.alloc(1000));
    writeFileSync(join(o.out, 'best', '.weights.safetensors.1.2.x.tmp'), Buffer.alloc(10));
    const logs: string[] = [];
    expect((await train({ out: o.out, resume: true }, { log: (m) => logs.push(m) })).status).toBe('completed');
    expect(readdirSync(o.out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(join(o.out, 'best')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(logs.filter((l) => /removed .*\.tmp, left by an interrupted write/.test(l))).toHaveLength(2);
    await expectSameRun(whole.out, o.out);
  });

  it('a damaged metrics line before the last, or garbled checkpoint metadata, is an error naming the file', async () => {
    const o = generated('damaged');
    const ctl = new AbortController();
    await train(o, { signal: ctl.signal, onStep: (s) => s.step === 5 && ctl.abort() });
    writeFileSync(join(o.out, 'metrics.jsonl'), 'not json\n{"type":"epoch","epoch":1}\n');
    await expect(train({ out: o.out, resume: true })).rejects.toThrow(/metrics\.jsonl: line 1 is not JSON/);

    const bad = join(tmp.dir, 'garbled');
    mkdirSync(bad);
    const t = tf.zeros([1]);
    await saveSafetensors(join(bad, 'checkpoint.safetensors'), { 'model/x': t }, { 'captcha-nn.checkpoint': '{"format": captcha' });
    t.dispose();
    await expect(train({ out: bad, resume: true })).rejects.toThrow(
      /garbled\/checkpoint\.safetensors: the checkpoint's 'captcha-nn\.checkpoint' metadata is not valid JSON/,
    );
  });
});
