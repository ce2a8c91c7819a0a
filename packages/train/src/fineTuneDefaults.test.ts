import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DataSpec } from './data';
import type { TrainOptions } from './options';
import { fineTuneDefaults } from './fineTuneDefaults';
import { tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** A folder of n image files: the defaults count them without decoding any. */
async function folderOf(n: number): Promise<string> {
  const dir = join(tmp.dir, `n${n}`);
  await mkdir(dir, { recursive: true });
  await Promise.all(Array.from({ length: n }, (_, i) => writeFile(join(dir, `${i}_ab.png`), '')));
  await writeFile(join(dir, 'labels.txt'), 'not an image');
  return dir;
}

/** A fine-tune of `general` on `data`. */
const fineTune = (data: DataSpec, extra: Partial<TrainOptions> = {}) => fineTuneDefaults<Partial<TrainOptions>>({ init: 'general', data, ...extra });

describe('fineTuneDefaults: a fine-tune on a folder trains as the 500-label recipe unless told otherwise', () => {
  it('500 images: light jitter, cosine, every image trained on, 50 epochs (at most) within 9.5 minutes', async () => {
    const dir = await folderOf(500);
    const { options, chosen } = await fineTune({ kind: 'folder', dir });
    expect(options.data).toEqual({ kind: 'folder', dir, augment: 'light', valSplit: 0 });
    expect(options.schedule).toBe('cosine');
    expect(options.epochs).toBe(50);
    expect(options.timeLimit).toBe(9.5);
    expect(chosen).toEqual(['--augment light', '--schedule cosine', '--val-split 0', '--time-limit 9.5', '--epochs 50']);
  });

  it('a given --time-limit wins, 0 (none) included; 1,000 images or more get none', async () => {
    const dir = await folderOf(500);
    for (const timeLimit of [0, 25]) {
      const r = await fineTune({ kind: 'folder', dir }, { timeLimit });
      expect(r.options.timeLimit).toBe(timeLimit);
      expect(r.chosen).not.toContain('--time-limit 9.5');
    }
    // With a --val folder the 500 still count as few: the budget is for the labels the user has.
    expect((await fineTune({ kind: 'folder', dir, val: dir })).options.timeLimit).toBe(9.5);
    expect((await fineTune({ kind: 'folder', dir: await folderOf(1000) })).options.timeLimit).toBeUndefined();
  });

  it('1,200 images keep a tenth for validation and see about 25,600 images: 24 epochs of 1,080, at any batch size', async () => {
    const dir = await folderOf(1200);
    const r = await fineTune({ kind: 'folder', dir });
    expect((r.options.data as { valSplit?: number }).valSplit).toBeUndefined();
    expect(r.options.epochs).toBe(24);
    expect(r.options.timeLimit).toBeUndefined();
    const b64 = await fineTune({ kind: 'folder', dir }, { batchSize: 64 });
    expect(b64.options.epochs).toBe(24);
    // A separate validation folder leaves all 1,200 for training: 22 epochs.
    const withVal = await fineTune({ kind: 'folder', dir, val: dir });
    expect(withVal.options.epochs).toBe(22);
  });

  it('3,000 images: the usual 10 epochs, not listed as chosen', async () => {
    const dir = await folderOf(3000);
    const { options, chosen } = await fineTune({ kind: 'folder', dir });
    expect(options.epochs).toBe(10);
    expect(chosen).toEqual(['--augment light', '--schedule cosine']);
  });

  it('given options win, and a self-training run keeps the usual epochs', async () => {
    const dir = await folderOf(40);
    const given = await fineTune({ kind: 'folder', dir, augment: 'none', valSplit: 0.2 }, { schedule: 'constant', epochs: 3 });
    expect(given.options.data).toEqual({ kind: 'folder', dir, augment: 'none', valSplit: 0.2 });
    expect(given.options.schedule).toBe('constant');
    expect(given.options.epochs).toBe(3);
    expect(given.chosen).toEqual(['--time-limit 9.5']);
    const selfTraining = await fineTune({ kind: 'folder', dir, unlabelled: { dir, minConfidence: 0.9 } });
    expect(selfTraining.options.epochs).toBeUndefined();
    expect(selfTraining.options.timeLimit).toBe(9.5);
    expect(selfTraining.chosen).toEqual(['--augment light', '--schedule cosine', '--val-split 0', '--time-limit 9.5']);
  });

  it('a run from scratch, or a fine-tune on generated captchas, is left as given', async () => {
    const dir = await folderOf(30);
    const scratch = { model: 'tiny', data: { kind: 'folder', dir } as DataSpec, out: 'x' };
    expect(await fineTuneDefaults(scratch)).toEqual({ options: scratch, chosen: [] });
    const generated = { init: 'general', data: { kind: 'generate', generator: 'mix', trainSize: 10, valSize: 10 } as DataSpec, out: 'x' };
    expect(await fineTuneDefaults(generated)).toEqual({ options: generated, chosen: [] });
  });
});
