import { describe, expect, it } from 'vitest';
import { AUGMENT_PRESETS, augmentImage, augmentSource, type AugmentOptions } from './augment';
import { LabelEncoder } from './charset';
import type { ImageBuffer } from './image';
import type { ImageSource } from './pipeline';
import { createRng, type Rng } from './random';

const NONE: AugmentOptions = { ...AUGMENT_PRESETS.none };

/** Draws in augmentImage's order: rotate, scale x, scale y, shear, shift x, shift y, contrast. 0.5 is the middle of each range (no change). */
function draws(values: Partial<Record<'rotate' | 'sx' | 'sy' | 'shear' | 'tx' | 'ty' | 'contrast', number>>): Rng {
  const seq = ['rotate', 'sx', 'sy', 'shear', 'tx', 'ty', 'contrast'].map((k) => values[k as keyof typeof values] ?? 0.5);
  let i = 0;
  return () => {
    if (i >= seq.length) throw new Error('augmentImage drew more than 7 numbers');
    return seq[i++]!;
  };
}

function image(w: number, h: number, c: number, f: (x: number, y: number, ch: number) => number): ImageBuffer<Uint8Array> {
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) data[(y * w + x) * c + ch] = f(x, y, ch);
  return { data, width: w, height: h, channels: c };
}

const at = (img: ImageBuffer<Uint8Array>, x: number, y: number, ch = 0) => img.data[(y * img.width + x) * img.channels + ch]!;

describe('augmentImage', () => {
  const noisy = image(21, 9, 3, (x, y, ch) => (x * 37 + y * 91 + ch * 53 + ((x * y) % 7) * 11) % 256);
  const all: AugmentOptions = { rotate: 10, scale: 0.2, shear: 0.3, translateX: 0.1, translateY: 0.1, contrast: 0.5 };

  it('is the identity at the middle of every range, and leaves its input alone', () => {
    const before = noisy.data.slice();
    const out = augmentImage(noisy, all, draws({}));
    expect(Array.from(out.data)).toEqual(Array.from(noisy.data));
    expect(out.data).not.toBe(noisy.data);
    expect(Array.from(noisy.data)).toEqual(Array.from(before));
  });

  it('shifts right by translateX·width, repeating the edge column', () => {
    // U(−0.1, 0.1) at 0.75 is 0.05; 0.05·20 = 1 pixel.
    const src = image(20, 3, 1, (x, y) => x * 10 + y);
    const out = augmentImage(src, { ...NONE, translateX: 0.1 }, draws({ tx: 0.75 }));
    for (let y = 0; y < 3; y++) {
      expect(at(out, 0, y)).toBe(at(src, 0, y));
      for (let x = 1; x < 20; x++) expect(at(out, x, y)).toBe(at(src, x - 1, y));
    }
  });

  it('turns the image upside down at 180°, about its centre', () => {
    // U(−360, 360) at 0.75 is 180.
    const out = augmentImage(noisy, { ...NONE, rotate: 360 }, draws({ rotate: 0.75 }));
    for (let y = 0; y < 9; y++) for (let x = 0; x < 21; x++) for (let ch = 0; ch < 3; ch++) expect(at(out, x, y, ch)).toBe(at(noisy, 20 - x, 8 - y, ch));
  });

  it('rotates counter-clockwise on screen for a positive angle (y down): a pixel right of centre moves down', () => {
    // 90°: U(−180, 180) at 0.75. Output (cx, cy + 2) comes from input (cx + 2, cy).
    const src = image(9, 9, 1, (x, y) => (x === 6 && y === 4 ? 255 : 0));
    const out = augmentImage(src, { ...NONE, rotate: 180 }, draws({ rotate: 0.75 }));
    expect(at(out, 4, 6)).toBe(255);
    expect(Array.from(out.data).filter((v) => v > 0)).toHaveLength(1);
  });

  it('scales x and y separately about the centre, sampling bilinearly', () => {
    // x: 1 + U(−1, 1) at 0.75 = 1.5; y unchanged. On a ramp 6·x the output is 6·(c + (x − c)/1.5).
    const src = image(31, 5, 1, (x) => 6 * x);
    const out = augmentImage(src, { ...NONE, scale: 1 }, draws({ sx: 0.75 }));
    for (let y = 0; y < 5; y++) for (let x = 0; x < 31; x++) expect(at(out, x, y)).toBe(Math.round(6 * (15 + (x - 15) / 1.5)));
  });

  it('shears x by y about the centre', () => {
    // U(−2, 2) at 0.75 is 1: output (x, y) comes from input (x − (y − cy), y).
    const src = image(21, 5, 1, (x) => 10 * x);
    const out = augmentImage(src, { ...NONE, shear: 2 }, draws({ shear: 0.75 }));
    for (let y = 0; y < 5; y++) for (let x = 3; x < 18; x++) expect(at(out, x, y)).toBe(10 * (x - (y - 2)));
  });

  it('scales contrast about the mean and clamps to 0..255', () => {
    // 1 + U(−1, 1) at 0.75 = 1.5; mean of [0, 100, 200] is 100.
    const src: ImageBuffer<Uint8Array> = { data: new Uint8Array([0, 100, 200, 250]), width: 4, height: 1, channels: 1 };
    const out = augmentImage(src, { ...NONE, contrast: 1 }, draws({ contrast: 0.75 }));
    const mean = (0 + 100 + 200 + 250) / 4;
    expect(Array.from(out.data)).toEqual([0, 100, 200, 250].map((v) => Math.max(0, Math.min(255, Math.round(mean + (v - mean) * 1.5)))));
    expect(out.data[3]).toBe(255);
  });
});

describe('AUGMENT_PRESETS.horizontal', () => {
  // A dark bar on white, right of centre so that a rotation would move it: rows 4–15 hold it.
  const bar = image(40, 20, 1, (x, y) => (x >= 30 && x <= 33 && y >= 4 && y <= 15 ? 0 : 255));
  const barRows = (img: ImageBuffer<Uint8Array>) => [...Array(img.height).keys()].filter((y) => [...Array(img.width).keys()].some((x) => at(img, x, y) < 128));
  const rows4to15 = [...Array(12).keys()].map((i) => i + 4);

  it('moves pixels only along rows: the bar keeps its height and vertical position', () => {
    for (let s = 0; s < 20; s++) expect(barRows(augmentImage(bar, AUGMENT_PRESETS.horizontal, createRng('rows', s)))).toEqual(rows4to15);
  });

  it('still jitters along rows, where light also moves the bar up, down or in height', () => {
    const moved = (o: AugmentOptions) => [...Array(20).keys()].map((s) => augmentImage(bar, o, createRng('rows', s)));
    expect(moved(AUGMENT_PRESETS.horizontal).some((img) => Array.from(img.data).join() !== Array.from(bar.data).join())).toBe(true);
    expect(moved(AUGMENT_PRESETS.light).some((img) => barRows(img).join() !== rows4to15.join())).toBe(true);
  });
});

describe('augmentSource', () => {
  function source(n: number): ImageSource {
    return {
      size: n,
      width: 30,
      height: 10,
      channels: 1,
      encoder: new LabelEncoder('ab'),
      maxLength: 2,
      load: async (i) => (i === 2 ? null : { image: image(30, 10, 1, (x, y) => (x * 8 + y * 20 + i * 3) % 256), label: 'ab', index: i }),
    };
  }

  it('jitters image i of an epoch the same way every time, and differently in another epoch', async () => {
    const src = source(4);
    const e0 = augmentSource(src, AUGMENT_PRESETS.strong, { seed: 's', epoch: 0 });
    const again = augmentSource(src, AUGMENT_PRESETS.strong, { seed: 's', epoch: 0 });
    const e1 = augmentSource(src, AUGMENT_PRESETS.strong, { seed: 's', epoch: 1 });
    const a = (await e0.load(1))!;
    expect(a.label).toBe('ab');
    expect(a.index).toBe(1);
    expect(Array.from((await again.load(1))!.image.data)).toEqual(Array.from(a.image.data));
    expect(Array.from((await e1.load(1))!.image.data)).not.toEqual(Array.from(a.image.data));
    expect(Array.from(a.image.data)).not.toEqual(Array.from((await src.load(1))!.image.data));
    expect(await e0.load(2)).toBeNull();
  });

  it('returns the source itself for preset none', () => {
    const src = source(3);
    expect(augmentSource(src, AUGMENT_PRESETS.none, { seed: 1, epoch: 0 })).toBe(src);
  });
});
