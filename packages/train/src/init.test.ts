import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '@captcha-nn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint';
import { initialiseFrom } from './init';
import { loadCaptchaModel } from './modelio';
import type { DataSpec, FolderDataSpec } from './data';
import { writeTinyPngs } from './testing';
import type { TrainOptions } from './options';
import { train } from './trainer';
import { TINY_DATA, tempDir, tensorsOf, tinyCtcNet } from './test/helpers';
import { ctcTask } from './ctcTask';
import { registerModel } from './registry';

// A reader that takes any width (its weights depend on the height only).
registerModel('test-init-ctc', (o) => {
  const { model, steps } = tinyCtcNet(o);
  return { model, task: ctcTask({ blank: o.numClasses - 1, steps }) };
});

const tmp = tempDir();
afterAll(tmp.cleanup);

const base = join(tmp.dir, 'base');
// The tiny model: convolutions 0 and 3 (the trunk), Linear 7 (the output layer).
const TRUNK = ['0.weight', '0.bias', '3.weight', '3.bias'];
const OUTPUT = ['7.weight', '7.bias'];

beforeAll(async () => {
  await train({ model: 'tiny', data: TINY_DATA, epochs: 1, batchSize: 8, seed: '1', workers: 1, backend: 'wasm', out: base });
}, 120_000);

const weightsOf = async (dir: string) => tensorsOf(join(dir, 'best', 'weights.safetensors'));
const checkpointWeights = async (dir: string) =>
  Object.fromEntries(
    Object.entries(await tensorsOf(join(dir, 'checkpoint.safetensors'))).flatMap(([k, v]) => (k.startsWith('model/') ? [[k.slice(6), v]] : [])),
  );
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

/** One epoch of a small run on a folder of PNGs, into tmp.dir/<out>. */
const folderRun =
  (folder: string) =>
  (out: string, extra: Partial<TrainOptions>, data: Partial<DataSpec & FolderDataSpec> = {}, log?: (line: string) => void) =>
    train(
      {
        data: { kind: 'folder', dir: folder, valSplit: 0, ...data },
        epochs: 1,
        batchSize: 8,
        seed: '6',
        workers: 1,
        backend: 'wasm',
        out: join(tmp.dir, out),
        ...extra,
      },
      log ? { log } : {},
    );
/** The preprocessing a run's best/ model records. */
const preprocessingOf = (out: string) => JSON.parse(readFileSync(join(tmp.dir, out, 'best', 'model.json'), 'utf8')).metadata.preprocessing;

/** Fine-tuning on a new charset and length: "abc12", three characters. */
const fineTune = (out: string, extra: Partial<TrainOptions> = {}): Partial<TrainOptions> & { out: string } => ({
  init: base,
  data: { ...TINY_DATA, charset: 'abc12', length: 3 },
  epochs: 3,
  batchSize: 8,
  seed: '2',
  workers: 1,
  backend: 'wasm',
  freezeTrunk: 2,
  out: join(tmp.dir, out),
  ...extra,
});

describe('train --init: fine-tuning a trained model', () => {
  it('replaces the output layer for another charset and length, keeps the trunk bit-identical while frozen, trains it after; resume stays exact', async () => {
    const before = await weightsOf(base);
    const logs: string[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const whole = await train(fineTune('whole'), { log: (m) => logs.push(m) });
    expect(whole.status).toBe('completed');
    // Nothing leaks: the init model, the frozen phase's optimizer buffers and the unfreeze.
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(logs.join('\n')).toMatch(
      /--init .*: copied 4 of 6 state tensors \(weights and batch-norm statistics\); new layers \(charset \(\d+ → 5 characters\), length \d+ → 3 differ\): module 7: weight \[18x768\] \(was \[10x768\]\), bias \[18\] \(was \[10\]\)/,
    );
    expect(logs.join('\n')).toMatch(/--freeze-trunk 2: 4 trunk tensors not updated for the first 2 epoch\(s\)/);
    expect(logs.join('\n')).toMatch(/epoch 3: the trunk trains from here/);

    // The same run stopped after each epoch and resumed: exactly the same tensors, and a look at the weights in between.
    const part = fineTune('parts', { epochs: 1 });
    await train(part);
    const afterOne = await checkpointWeights(part.out);
    for (const k of TRUNK) expect(same(afterOne[k]!, before[k]!), `${k} frozen in epoch 1`).toBe(true);
    // Three positions of five characters and the blank.
    expect(afterOne['7.bias']!.length).toBe(18);
    expect((await readCheckpointState(join(part.out, 'checkpoint.safetensors'))).frozenKeys).toEqual(TRUNK);
    await train({ out: part.out, resume: true, epochs: 2 });
    const afterTwo = await checkpointWeights(part.out);
    for (const k of TRUNK) expect(same(afterTwo[k]!, before[k]!), `${k} frozen in epoch 2`).toBe(true);
    expect(same(afterTwo['7.weight']!, afterOne['7.weight']!)).toBe(false);
    await train({ out: part.out, resume: true, epochs: 3 });
    const afterThree = await checkpointWeights(part.out);
    for (const k of TRUNK) expect(same(afterThree[k]!, before[k]!), `${k} trains in epoch 3`).toBe(false);
    expect((await readCheckpointState(join(part.out, 'checkpoint.safetensors'))).frozenKeys).toBeUndefined();

    const a = await tensorsOf(join(whole.out, 'checkpoint.safetensors'));
    const b = await tensorsOf(join(part.out, 'checkpoint.safetensors'));
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(same(a[k]!, b[k]!), k).toBe(true);
  });

  it('with the same charset and length copies everything; a frozen trunk still lets the output layer train', async () => {
    const logs: string[] = [];
    const out = join(tmp.dir, 'same');
    await train(
      { init: base, data: TINY_DATA, epochs: 1, batchSize: 8, seed: '3', workers: 1, backend: 'wasm', freezeTrunk: 1, out },
      { log: (m) => logs.push(m) },
    );
    expect(logs.join('\n')).toMatch(/copied 6 of 6 state tensors \(weights and batch-norm statistics\); same charset, length and input/);
    const before = await weightsOf(base);
    const after = await checkpointWeights(out);
    for (const k of TRUNK) expect(same(after[k]!, before[k]!), k).toBe(true);
    for (const k of OUTPUT) expect(same(after[k]!, before[k]!), k).toBe(false);
  });

  it('with 2 data-parallel workers (the fused step computes every gradient) the frozen trunk stays bit-identical too', async () => {
    const out = join(tmp.dir, 'dp');
    await train({ init: base, data: TINY_DATA, epochs: 1, batchSize: 8, seed: '4', workers: 2, backend: 'wasm', freezeTrunk: 1, out });
    const before = await weightsOf(base);
    const after = await checkpointWeights(out);
    for (const k of TRUNK) expect(same(after[k]!, before[k]!), k).toBe(true);
    for (const k of OUTPUT) expect(same(after[k]!, before[k]!), k).toBe(false);
  });

  it("keeps the init model's charset order for a folder its charset covers; another order means a new output layer", async () => {
    const folder = join(tmp.dir, 'pngs');
    await writeTinyPngs(folder, 24, 'f');
    const logs: string[] = [];
    const run = (out: string, data: Partial<FolderDataSpec> = {}) =>
      train(
        {
          init: base,
          data: { kind: 'folder', dir: folder, valSplit: 0, ...data },
          epochs: 1,
          batchSize: 8,
          seed: '5',
          workers: 1,
          backend: 'wasm',
          out: join(tmp.dir, out),
        },
        { log: (m) => logs.push(m) },
      );
    await run('folder-kept');
    // The labels alone would infer "12ab"; the model reads "ab12", and keeps its output layer.
    expect(logs.join('\n')).toMatch(/copied 6 of 6 state tensors \(weights and batch-norm statistics\); same charset, length and input/);
    expect(JSON.parse(readFileSync(join(tmp.dir, 'folder-kept', 'best', 'model.json'), 'utf8')).metadata.charset).toBe('ab12');
    logs.length = 0;
    await run('folder-reordered', { charset: '12ab' });
    // Same shapes, but class 0 would now mean '1': the output layer starts fresh.
    expect(logs.join('\n')).toMatch(/copied 4 of 6 state tensors \(weights and batch-norm statistics\); new layer.*: module 7: weight \[10x768\], bias \[10\]/);
  });

  it("keeps the init model's polarity unless the run gives its own", async () => {
    const folder = join(tmp.dir, 'pngs-polarity');
    await writeTinyPngs(folder, 16, 'p');
    const run = folderRun(folder);
    const polarityOf = (out: string) => preprocessingOf(out).polarity;
    await run('polarity-base', { model: 'tiny' }, { polarity: 'light' });
    expect(polarityOf('polarity-base')).toBe('light');
    const init = join(tmp.dir, 'polarity-base');
    await run('polarity-inherited', { init });
    expect(polarityOf('polarity-inherited')).toBe('light');
    await run('polarity-kept', { init }, { polarity: 'keep' });
    expect(polarityOf('polarity-kept')).toBeUndefined();
  });

  it("keeps the init model's fit ('scale' or 'resize') for a folder unless the run gives its own", async () => {
    const folder = join(tmp.dir, 'pngs-fit');
    await writeTinyPngs(folder, 16, 's');
    const run = folderRun(folder);
    const fitOf = (out: string) => preprocessingOf(out).fit;
    await run('fit-base', { model: 'tiny' }, { fit: 'scale', size: { width: 96, height: 32 } });
    expect(fitOf('fit-base')).toBe('scale');
    const init = join(tmp.dir, 'fit-base');
    await run('fit-inherited', { init });
    expect(fitOf('fit-inherited')).toBe('scale');
    await run('fit-contain', { init }, { fit: 'contain' });
    expect(fitOf('fit-contain')).toBe('contain');
    expect(fitOf('base')).toBe('contain');
    await run('fit-resize', { model: 'tiny' }, { fit: 'resize', size: { width: 96, height: 32 } });
    expect(fitOf('fit-resize')).toBe('resize');
    await run('fit-resize-inherited', { init: join(tmp.dir, 'fit-resize') });
    expect(fitOf('fit-resize-inherited')).toBe('resize');
  });

  it("enlarges a folder to fill the height of a model trained with 'contain': a CTC reader at the folder's width there", async () => {
    const folder = join(tmp.dir, 'pngs-height');
    await writeTinyPngs(folder, 16, 'h');
    const run = folderRun(folder);
    const inputOf = (out: string) => (({ width, height, fit }) => ({ width, height, fit }))(preprocessingOf(out));
    // 48x16 images, read by models whose 96x32 or 48x32 input they fill only half the height of.
    await run('contain-tiny', { model: 'tiny' }, { fit: 'contain', size: { width: 96, height: 32 } });
    await run('contain-ctc', { model: 'test-init-ctc' }, { fit: 'contain', size: { width: 48, height: 32 } });
    expect(inputOf('contain-ctc')).toEqual({ width: 48, height: 32, fit: 'contain' });
    // The tiny net's Linear fixes its width, so it keeps its input; the CTC reader takes 48x16 at height 32: 96 wide.
    await run('filled-tiny', { init: join(tmp.dir, 'contain-tiny') });
    expect(inputOf('filled-tiny')).toEqual({ width: 96, height: 32, fit: 'scale' });
    const logs: string[] = [];
    await run('filled-ctc', { init: join(tmp.dir, 'contain-ctc') }, {}, (l) => logs.push(l));
    expect(inputOf('filled-ctc')).toEqual({ width: 96, height: 32, fit: 'scale' });
    const dataLine = JSON.parse(readFileSync(join(tmp.dir, 'filled-ctc', 'best', 'model.json'), 'utf8')).metadata.training.data;
    expect(dataLine).toMatch(/96x32 \(the widest image at height 32; other sizes shrunk or enlarged until one side fills it/);
    expect(logs.join('\n')).toMatch(/input 48x32 → 96x32 differ, and every tensor fits/);
    // A fit or a size given keeps the model's input size, or takes the given one.
    await run('kept-ctc', { init: join(tmp.dir, 'contain-ctc') }, { fit: 'contain' });
    expect(inputOf('kept-ctc')).toEqual({ width: 48, height: 32, fit: 'contain' });
    await run('sized-ctc', { init: join(tmp.dir, 'contain-ctc') }, { size: { width: 64, height: 32 } });
    expect(inputOf('sized-ctc')).toEqual({ width: 64, height: 32, fit: 'scale' });
  });

  it("fine-tunes a folder with the recipe's defaults (light jitter, cosine, every image, 9.5 minutes) unless told otherwise, and says so", async () => {
    const folder = join(tmp.dir, 'pngs-recipe');
    await writeTinyPngs(folder, 16, 'r');
    const run = folderRun(folder);
    const optionsOf = async (out: string) => (await readCheckpointState<TrainOptions>(join(tmp.dir, out, 'checkpoint.safetensors'))).options;
    const logs: string[] = [];
    await run('recipe', { init: base }, { valSplit: undefined }, (l) => logs.push(l));
    const o = await optionsOf('recipe');
    expect([o.schedule, o.data.augment, (o.data as FolderDataSpec).valSplit, o.timeLimit]).toEqual(['cosine', 'light', 0, 9.5]);
    expect(logs.join('\n')).toMatch(
      /a fine-tune on a folder: --augment light --schedule cosine --val-split 0 --time-limit 9\.5 \(the defaults for one; docs\/data.md\)/,
    );
    // Given ones win; a run from scratch keeps the usual defaults.
    await run('recipe-given', { init: base, schedule: 'constant', timeLimit: 0 }, { valSplit: 0.25, augment: 'none' });
    const g = await optionsOf('recipe-given');
    expect([g.schedule, g.data.augment, (g.data as FolderDataSpec).valSplit, g.timeLimit]).toEqual(['constant', 'none', 0.25, 0]);
    await run('recipe-scratch', { model: 'tiny' }, { valSplit: undefined });
    const f = await optionsOf('recipe-scratch');
    expect([f.schedule, f.data.augment, (f.data as FolderDataSpec).valSplit, f.timeLimit]).toEqual(['constant', undefined, undefined, 0]);
  });

  it('says what differs from the init model even when every tensor fits (a CTC reader on a larger input)', async () => {
    const m = await loadCaptchaModel(base);
    try {
      const { charset, length, input } = m.metadata;
      const wider = { width: input.width + 8, height: input.height };
      const r = await initialiseFrom(m.model, base, { charset, length, input: wider });
      expect(r.fresh).toEqual([]);
      expect(r.differs).toEqual([`input ${input.width}x${input.height} → ${wider.width}x${wider.height}`]);
      expect((await initialiseFrom(m.model, base, { charset, length: length + 1, input })).differs).toEqual([`length ${length} → ${length + 1}`]);
    } finally {
      m.model.dispose();
    }
  });

  it('clear errors: --freeze-trunk without --init, another --model than the init model', async () => {
    await expect(train({ model: 'tiny', data: TINY_DATA, freezeTrunk: 1, out: join(tmp.dir, 'e1') })).rejects.toThrow(/--freeze-trunk needs --init MODEL_DIR/);
    await expect(train({ init: base, model: 'cnn', data: TINY_DATA, out: join(tmp.dir, 'e2') })).rejects.toThrow(/--model cnn \(it is a tiny\) cannot differ/);
    await expect(train({ init: join(tmp.dir, 'nothing'), data: TINY_DATA, out: join(tmp.dir, 'e3') })).rejects.toThrow(
      /--init .*nothing: no such file or folder/,
    );
  });
});
