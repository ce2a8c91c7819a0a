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

describe('openRunData with an unknown augmentation', () => {
  it('names the known presets', async () => {
    await expect(openRunData({ ...TINY_DATA, augment: 'heavy' as never }, '7')).rejects.toThrow("unknown augmentation 'heavy' (known: none, light, strong)");
  });
});
