import { describe, expect, it } from 'vitest';
import { LabelEncoder } from './charset';
import type { ImageBuffer } from './image';
import type { ImageSource } from './pipeline';
import { createRng } from './random';
import { checkRandomErase, randomEraseImage, randomEraseSource } from './randomErase';

// 28x20, 2 channels, every value 7 (never drawn by chance at every pixel of a rectangle).
const W = 28;
const H = 20;
const flat = (): ImageBuffer<Uint8Array> => ({ data: new Uint8Array(W * H * 2).fill(7), width: W, height: H, channels: 2 });

/** The bounding box of the pixels that differ from 7 in any channel, and how many pixels differ. */
function changed(im: ImageBuffer<Uint8Array>) {
  let [x0, y0, x1, y1, n] = [W, H, -1, -1, 0];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const p = (y * W + x) * 2;
      if (im.data[p] === 7 && im.data[p + 1] === 7) continue;
      n++;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  return { n, box: n ? { w: x1 - x0 + 1, h: y1 - y0 + 1 } : null };
}

describe('randomEraseImage', () => {
  it('never erases at probability 0, and leaves its input alone', () => {
    const img = flat();
    const out = randomEraseImage(img, { probability: 0 }, createRng('t', 0));
    expect(changed(out).n).toBe(0);
    expect(out.data).not.toBe(img.data);
  });

  it('at probability 1 fills one rectangle whose area and aspect ratio are in range', () => {
    for (let i = 0; i < 200; i++) {
      const img = flat();
      const out = randomEraseImage(img, { probability: 1 }, createRng('t', i));
      expect(changed(img).n).toBe(0);
      const { n, box } = changed(out);
      expect(box).not.toBeNull();
      const area = box!.w * box!.h;
      // A rectangle: (almost) every pixel of its box changed (a random value equals 7 in both channels 1 time in 65536).
      expect(n).toBeGreaterThanOrEqual(area - 1);
      // Rounding each side moves the area by at most about one row and one column.
      expect(area).toBeGreaterThanOrEqual(0.02 * W * H - (box!.w + box!.h));
      expect(area).toBeLessThanOrEqual(0.4 * W * H + box!.w + box!.h + 1);
      expect(box!.h / box!.w).toBeLessThan(1 / 0.3 + 1);
      expect(box!.w / box!.h).toBeLessThan(1 / 0.3 + 1);
    }
  });

  it('erases about the given share of images', () => {
    let erased = 0;
    for (let i = 0; i < 400; i++) if (changed(randomEraseImage(flat(), { probability: 0.5 }, createRng('share', i))).n > 0) erased++;
    expect(erased).toBeGreaterThan(160);
    expect(erased).toBeLessThan(240);
  });

  it('rejects options out of range, naming them', () => {
    expect(() => checkRandomErase({ probability: 1.5 })).toThrow(/probability/);
    expect(() => checkRandomErase({ probability: 0.5, areaMin: 0.5, areaMax: 0.4 })).toThrow(/areaMin/);
    expect(() => checkRandomErase({ probability: 0.5, aspectMin: 2 })).toThrow(/aspectMin/);
  });
});

describe('randomEraseSource', () => {
  const source: ImageSource = {
    size: 3,
    width: W,
    height: H,
    channels: 2,
    encoder: new LabelEncoder('ab'),
    maxLength: 1,
    load: async () => ({ image: flat(), label: 'a' }),
  };

  it('draws the same erasure for the same seed, epoch and image, and new ones each epoch', async () => {
    const get = async (epoch: number, i: number) => Array.from((await randomEraseSource(source, { probability: 1 }, { seed: 's', epoch }).load(i))!.image.data);
    expect(await get(0, 1)).toEqual(await get(0, 1));
    expect(await get(0, 1)).not.toEqual(await get(1, 1));
    expect(await get(0, 1)).not.toEqual(await get(0, 2));
  });

  it('is the source itself at probability 0', () => {
    expect(randomEraseSource(source, { probability: 0 }, { seed: 's', epoch: 0 })).toBe(source);
  });
});
