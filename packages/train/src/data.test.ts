import { describe, expect, it } from 'vitest';
import { openRunData } from './data';
import { TINY_DATA } from './test/helpers';

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
    expect(t.label).toMatch(/^[ab12]{3}$/);
  });
});

describe('openRunData with an unknown augmentation', () => {
  it('names the known presets', async () => {
    await expect(openRunData({ ...TINY_DATA, augment: 'heavy' as never }, '7')).rejects.toThrow("unknown augmentation 'heavy' (known: none, light, strong)");
  });
});
