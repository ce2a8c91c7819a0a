import { describe, expect, it } from 'vitest';
import { LabelEncoder } from './charset';
import { cropFlipImage, cropFlipSource } from './cropFlip';
import type { ImageBuffer } from './image';
import type { ImageSource } from './pipeline';
import type { Rng } from './random';

/** Returns the given draws in order; a further draw is an error. */
function draws(...values: number[]): Rng {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error(`cropFlipImage drew more than ${values.length} numbers`);
    return values[i++]!;
  };
}

// 5 wide, 3 high, 2 channels: pixel (x, y, ch) = 1 + 10y + x + 100ch (no zeros, so the padding shows).
const img: ImageBuffer<Uint8Array> = { data: new Uint8Array(30), width: 5, height: 3, channels: 2 };
for (let y = 0; y < 3; y++) for (let x = 0; x < 5; x++) for (let ch = 0; ch < 2; ch++) img.data[(y * 5 + x) * 2 + ch] = 1 + 10 * y + x + 100 * ch;
const plane = (im: ImageBuffer<Uint8Array>, ch: number) =>
  Array.from({ length: im.height }, (_, y) => Array.from({ length: im.width }, (_, x) => im.data[(y * im.width + x) * im.channels + ch]!));

describe('cropFlipImage', () => {
  it('with the middle draws (no shift) and no flip is the image', () => {
    // randInt(-2, 2) maps 0.5 to 0.
    expect(Array.from(cropFlipImage(img, { pad: 2, flip: false }, draws(0.5, 0.5)).data)).toEqual(Array.from(img.data));
  });

  it('shifts by the drawn offsets and fills with zeros', () => {
    // x shift +2 (draw 0.99), y shift -1 (draw 0.3 of 5 values → index 1 → -1).
    const out = cropFlipImage(img, { pad: 2, flip: false }, draws(0.99, 0.3));
    expect(plane(out, 0)).toEqual([
      [0, 0, 11, 12, 13],
      [0, 0, 21, 22, 23],
      [0, 0, 0, 0, 0],
    ]);
    expect(plane(out, 1)[0]).toEqual([0, 0, 111, 112, 113]);
  });

  it('mirrors left to right when the third draw is below 0.5, and only with flip', () => {
    expect(plane(cropFlipImage(img, { pad: 1, flip: true }, draws(0.5, 0.5, 0.2)), 0)[1]).toEqual([15, 14, 13, 12, 11]);
    expect(plane(cropFlipImage(img, { pad: 1, flip: true }, draws(0.5, 0.5, 0.7)), 0)[1]).toEqual([11, 12, 13, 14, 15]);
    expect(() => cropFlipImage(img, { pad: 1, flip: false }, draws(0.5, 0.5))).not.toThrow();
  });
});

describe('cropFlipSource', () => {
  const source: ImageSource = {
    size: 4,
    width: 5,
    height: 3,
    channels: 2,
    encoder: new LabelEncoder('0123456789'),
    maxLength: 1,
    load: async (i) => ({ image: img, label: String(i), index: i }),
  };
  const pixels = async (s: ImageSource, i: number) => Array.from((await s.load(i))!.image.data);

  it('is a pure function of (seed, epoch, index): the same draw again, others elsewhere', async () => {
    const a = cropFlipSource(source, { pad: 2, flip: true }, { seed: 's', epoch: 0 });
    const again = cropFlipSource(source, { pad: 2, flip: true }, { seed: 's', epoch: 0 });
    for (let i = 0; i < 4; i++) expect(await pixels(again, i)).toEqual(await pixels(a, i));
    const seen = new Set<string>();
    for (const epoch of [0, 1, 2, 3])
      for (let i = 0; i < 4; i++) seen.add(JSON.stringify(await pixels(cropFlipSource(source, { pad: 2, flip: true }, { seed: 's', epoch }), i)));
    // 25 shifts × 2 mirrorings: sixteen draws give several different images.
    expect(seen.size).toBeGreaterThan(4);
    expect((await a.load(2))!.label).toBe('2');
  });

  it('without padding or flipping is the source itself; bad padding is an error', () => {
    expect(cropFlipSource(source, { pad: 0, flip: false }, { seed: 1, epoch: 0 })).toBe(source);
    expect(() => cropFlipSource(source, { pad: 3, flip: false }, { seed: 1, epoch: 0 })).toThrow(/0 to 2/);
    expect(() => cropFlipSource(source, { pad: 1.5, flip: false }, { seed: 1, epoch: 0 })).toThrow(RangeError);
  });
});
