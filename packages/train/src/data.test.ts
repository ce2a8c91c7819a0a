import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, hasDarkBackground } from '@captcha-nn/data';
import { afterAll, describe, expect, it } from 'vitest';
import { openEvalFolder, openRunData, type Preprocessing } from './data';
import type { LoadedCaptchaModel } from './modelio';
import { loadImageFor } from './predict';
import { TINY_DATA } from './testing';
import { tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

const pixels = async (src: { load(i: number): Promise<{ image: { data: Uint8Array }; label: string } | null> }, i: number) => {
  const s = (await src.load(i))!;
  return { data: Array.from(s.image.data), label: s.label };
};

describe('openRunData with augment', () => {
  it('jitters the training images anew each epoch, keeps labels, and never touches validation', async () => {
    const plain = await openRunData(TINY_DATA, '7');
    const aug = await openRunData({ ...TINY_DATA, augment: 'strong' }, '7');
    expect(aug.description).toMatch(/jittered \(--augment strong\)/);
    const base = await pixels(plain.trainSource(0), 3);
    const e0 = await pixels(aug.trainSource(0), 3);
    const e0again = await pixels(aug.trainSource(0), 3);
    const e1 = await pixels(aug.trainSource(1), 3);
    expect(e0.label).toBe(base.label);
    expect(e0.data).not.toEqual(base.data);
    expect(e0again.data).toEqual(e0.data);
    expect(e1.data).not.toEqual(e0.data);
    // Fixed images (fresh: false): without augmentation every epoch is the same.
    expect((await pixels(plain.trainSource(1), 3)).data).toEqual(base.data);
    expect((await pixels(aug.validation!, 2)).data).toEqual((await pixels(plain.validation!, 2)).data);
  });
});

describe('openRunData with erase', () => {
  it('erases a rectangle in training images after any jitter, keeps labels, and never touches validation', async () => {
    const plain = await openRunData(TINY_DATA, '7');
    const erased = await openRunData({ ...TINY_DATA, erase: 1 }, '7');
    expect(erased.description).toMatch(/training images randomly erased \(--erase 1: one rectangle in that share of them\)/);
    const base = await pixels(plain.trainSource(0), 3);
    const e0 = await pixels(erased.trainSource(0), 3);
    expect(e0.label).toBe(base.label);
    const differing = e0.data.filter((v, i) => v !== base.data[i]).length;
    expect(differing).toBeGreaterThan(0);
    // At most the largest rectangle (40% of the image, rounded) differs.
    expect(differing).toBeLessThan(0.45 * base.data.length);
    expect((await pixels(erased.validation!, 2)).data).toEqual((await pixels(plain.validation!, 2)).data);
    const both = await openRunData({ ...TINY_DATA, augment: 'light', erase: 0.5 }, '7');
    expect(both.description).toMatch(/jittered \(--augment light\); training images randomly erased \(--erase 0.5/);
    await expect(openRunData({ ...TINY_DATA, erase: 1.5 }, '7')).rejects.toThrow(/random erasing: probability must be in \[0, 1\], got 1.5/);
  });
});

describe('openRunData with generated mix captchas', () => {
  it('reads the mix at one size with its 62-character charset and 4-8 characters, or the size, charset and length given', async () => {
    const d = await openRunData({ kind: 'generate', generator: 'mix', trainSize: 3, valSize: 2 }, '1');
    expect(d.description).toMatch(/^generated mix captchas, 160x64, length 4-8, charset "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"/);
    expect([d.preprocessing.width, d.preprocessing.height, d.maxLength, d.encoder.charset.length]).toEqual([160, 64, 8, 62]);
    expect(d.labelLengths).toEqual({ min: 4, max: 8 });
    const s = (await d.trainSource(0).load(1))!;
    expect([s.image.width, s.image.height, s.image.channels]).toEqual([160, 64, 1]);
    expect(s.label).toMatch(/^[0-9A-Za-z]{4,8}$/);
    const v = (await d.validation!.load(1))!;
    expect(v.image.data).not.toEqual(s.image.data);
    const small = await openRunData(
      { kind: 'generate', generator: 'mix', size: { width: 96, height: 32 }, charset: 'ab12', length: 3, trainSize: 2, valSize: 0 },
      '1',
    );
    const t = (await small.trainSource(0).load(0))!;
    expect([t.image.width, t.image.height, small.maxLength]).toEqual([96, 32, 3]);
    expect(small.labelLengths).toEqual({ min: 3, max: 3 });
    expect(t.label).toMatch(/^[ab12]{3}$/);
  });
});

describe('openRunData label lengths', () => {
  it("are the shortest and longest of a folder's labels and its validation folder's", async () => {
    const img = encodePng({ width: 8, height: 8, channels: 1, data: new Uint8Array(64).fill(200) });
    const write = (dir: string, labels: string[]) => {
      mkdirSync(dir, { recursive: true });
      labels.forEach((l, i) => writeFileSync(join(dir, `${i}_${l}.png`), img));
    };
    const train = join(tmp.dir, 'lengths-train');
    const val = join(tmp.dir, 'lengths-val');
    write(train, ['abc', 'abcd', 'ab', 'abc']);
    write(val, ['a']);
    const d = await openRunData({ kind: 'folder', dir: train, valSplit: 0 }, '1');
    expect(d.labelLengths).toEqual({ min: 2, max: 4 });
    const withVal = await openRunData({ kind: 'folder', dir: train, val: val }, '1');
    expect(withVal.labelLengths).toEqual({ min: 1, max: 4 });
  });
});

describe('openRunData validation images', () => {
  it('draws generated validation images once for all epochs, and keeps the training images new', async () => {
    const d = await openRunData({ kind: 'generate', generator: 'simple', preset: 'seed', trainSize: 2, valSize: 2 }, '1');
    const v1 = await d.validation!.load(1);
    const v2 = await d.validation!.load(1);
    expect(v2).toBe(v1);
    const fresh = await openRunData({ kind: 'generate', generator: 'simple', preset: 'seed', trainSize: 2, valSize: 2 }, '1');
    expect((await fresh.validation!.load(1))!.image.data).toEqual(v1!.image.data);
    expect(await d.trainSource(0).load(1)).not.toBe(await d.trainSource(0).load(1));
  });
});

describe('openRunData with an unknown augmentation', () => {
  it('names the known presets', async () => {
    await expect(openRunData({ ...TINY_DATA, augment: 'heavy' as never }, '7')).rejects.toThrow(
      "unknown augmentation 'heavy' (known: none, light, strong, horizontal)",
    );
  });
});

describe('polarity light', () => {
  /** Four 24×12 captchas, dark ink on a light grey, as PNGs in one folder and negated in another (as Gregwar/Captcha negates half of its). */
  function lightAndDark(): { light: string; dark: string; files: string[] } {
    const light = join(tmp.dir, 'light');
    const dark = join(tmp.dir, 'dark');
    mkdirSync(light, { recursive: true });
    mkdirSync(dark, { recursive: true });
    const files = ['0_ab.png', '1_b1.png', '2_21.png', '3_a2.png'];
    files.forEach((f, k) => {
      const data = new Uint8Array(24 * 12 * 3).fill(230);
      for (let y = 3; y < 9; y++) for (let x = 3 + 4 * k; x < 8 + 4 * k; x++) data.fill(40 + 10 * k, (y * 24 + x) * 3, (y * 24 + x) * 3 + 3);
      const img = { data, width: 24, height: 12, channels: 3 };
      writeFileSync(join(light, f), encodePng(img));
      writeFileSync(join(dark, f), encodePng({ ...img, data: data.map((v) => 255 - v) }));
    });
    return { light, dark, files };
  }

  it('reads negated captchas as the originals in training, evaluation and prediction, and is saved with the data', async () => {
    const { light, dark, files } = lightAndDark();
    const spec = { kind: 'folder' as const, dir: dark, valSplit: 0 };
    const kept = await openRunData(spec, '1');
    const lit = await openRunData({ ...spec, polarity: 'light' }, '1');
    const original = await openRunData({ ...spec, dir: light }, '1');
    expect(kept.preprocessing.polarity).toBeUndefined();
    expect(lit.preprocessing.polarity).toBe('light');
    expect(lit.description).toMatch(/images with a dark background inverted \(--polarity light\)/);
    for (let i = 0; i < files.length; i++) {
      const want = await pixels(original.trainSource(0), i);
      expect(await pixels(lit.trainSource(0), i)).toEqual(want);
      expect((await pixels(kept.trainSource(0), i)).data).not.toEqual(want.data);
    }
    const prep: Preprocessing = lit.preprocessing;
    const evalSet = await openEvalFolder(dark, prep, original.encoder.charset, original.maxLength);
    expect(await pixels(evalSet, 0)).toEqual(await pixels(original.trainSource(0), 0));
    const model = { metadata: { preprocessing: prep } } as LoadedCaptchaModel;
    const read = await loadImageFor(join(dark, files[0]!), model);
    expect(Array.from(read.data)).toEqual((await pixels(original.trainSource(0), 0)).data);
  });

  it('applies to generated captchas, and IDX data refuses it', async () => {
    // The mix draws light text on a dark background a fifth of the time.
    const spec = {
      kind: 'generate' as const,
      generator: 'mix' as const,
      size: { width: 64, height: 24 },
      charset: 'ab12',
      length: 2,
      trainSize: 24,
      valSize: 8,
      fresh: false,
    };
    const darkCount = async (d: Awaited<ReturnType<typeof openRunData>>) => {
      let n = 0;
      for (const src of [d.trainSource(0), d.validation!])
        for (let i = 0; i < src.size; i++) {
          const { image } = (await src.load(i))!;
          if (hasDarkBackground(image.data, image.width, 1, { x: 0, y: 0, width: image.width, height: image.height })) n++;
        }
      return n;
    };
    expect(await darkCount(await openRunData(spec, '3'))).toBeGreaterThan(0);
    const lit = await openRunData({ ...spec, polarity: 'light' }, '3');
    expect(await darkCount(lit)).toBe(0);
    expect(lit.preprocessing.polarity).toBe('light');
    await expect(openRunData({ kind: 'idx', dir: tmp.dir, polarity: 'light' }, '1')).rejects.toThrow(/--polarity light does not apply/);
  });
});
