import { describe, expect, it } from 'vitest';
import { encodePng } from './canvasNode';
import { LabelEncoder } from './charset';
import type { ImageBuffer } from './image';
import { decodeImage } from './loader/decode';
import type { ImageSource } from './pipeline';
import { checkPolarity, hasDarkBackground, lightenBackground, polaritySource, withPolarity } from './polarity';

/** A w×h gray image of `background` with an `ink` block `margin` pixels in from each edge. */
function card(w: number, h: number, background: number, ink: number, margin = 3): ImageBuffer<Uint8Array> {
  const data = new Uint8Array(w * h).fill(background);
  for (let y = margin; y < h - margin; y++) for (let x = margin; x < w - margin; x++) data[y * w + x] = ink;
  return { data, width: w, height: h, channels: 1 };
}

describe('withPolarity', () => {
  it("inverts an image whose border is dark, and returns one with a light border as it is ('light')", () => {
    const dark = card(12, 10, 20, 230);
    const out = withPolarity(dark, 'light');
    expect(out.data[0]).toBe(235);
    expect(out.data[5 * 12 + 5]).toBe(25);
    expect(dark.data[0]).toBe(20); // the input is not changed
    const light = card(12, 10, 230, 20);
    expect(withPolarity(light, 'light')).toBe(light);
    expect(withPolarity(dark, 'keep')).toBe(dark);
  });

  it('judges by the border, not the middle: bold dark ink over most of a light card stays', () => {
    // 24×24 with an 18×18 dark block: 56% of the pixels are ink, the 2-pixel ring inside the frame's pixel is all background.
    const bold = card(24, 24, 240, 10, 3);
    const below = Array.from(bold.data).filter((v) => v < 128).length / bold.data.length;
    expect(below).toBeGreaterThan(0.5);
    expect(hasDarkBackground(bold.data, 24, 1, { x: 0, y: 0, width: 24, height: 24 })).toBe(false);
    expect(withPolarity(bold, 'light')).toBe(bold);
  });

  it('takes the median of the ring: a thin dark line across a light border does not flip it', () => {
    const img = card(20, 12, 250, 0);
    for (let x = 0; x < 20; x++) img.data[20 + x] = 0; // the ring's whole top row dark: 18 of its 96 pixels
    expect(withPolarity(img, 'light')).toBe(img);
  });

  it('looks inside a frame: a light captcha with a dark frame stays, a dark one with a light frame flips, at any scale', () => {
    /** w×h of `background` with a `frame`-wide border of `edge` (SimpleCaptcha's addBorder, GD::SecurityImage's frame). */
    const framed = (w: number, h: number, background: number, edge: number, frame: number) => {
      const img = card(w, h, background, 255 - background, Math.round(h / 4));
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (x < frame || y < frame || x >= w - frame || y >= h - frame) img.data[y * w + x] = edge;
      return img;
    };
    // 80×30 with a 1 px frame (GD::SecurityImage as Catalyst serves it), 171×64 with 2 px (the same, fitted to height 64),
    // 200×50 with 1 px (SimpleCaptcha): the outermost ring is half or all frame.
    for (const [w, h, frame] of [
      [80, 30, 1],
      [171, 64, 2],
      [200, 50, 1],
    ] as const) {
      const light = framed(w, h, 245, 0, frame);
      expect(hasDarkBackground(light.data, w, 1, { x: 0, y: 0, width: w, height: h }), `${w}x${h} light`).toBe(false);
      const dark = framed(w, h, 15, 255, frame);
      expect(hasDarkBackground(dark.data, w, 1, { x: 0, y: 0, width: w, height: h }), `${w}x${h} dark`).toBe(true);
    }
  });

  it('reads colour by its luma and inverts the colour channels only, never alpha', () => {
    // RGBA: a dark blue background (luma 29), opaque, and a half-transparent light pixel in the middle.
    const w = 8;
    const h = 8;
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) data.set([0, 0, 255, 255], i * 4);
    data.set([240, 240, 240, 128], (4 * w + 4) * 4);
    expect(lightenBackground(data, w, 4)).toBe(true);
    expect(Array.from(data.subarray(0, 4))).toEqual([255, 255, 0, 255]);
    expect(Array.from(data.subarray((4 * w + 4) * 4, (4 * w + 4) * 4 + 4))).toEqual([15, 15, 15, 128]);
    // Pure blue is dark (luma 29), pure yellow light (226): the same test on the result says light.
    expect(lightenBackground(data, w, 4)).toBe(false);
  });

  it('inverts only inside the box, and judges the box by its own ring', () => {
    // 10×6 gray: white matte, a dark 6×4 image at (2, 1).
    const w = 10;
    const data = new Uint8Array(w * 6).fill(255);
    for (let y = 1; y < 5; y++) for (let x = 2; x < 8; x++) data[y * w + x] = 30;
    expect(hasDarkBackground(data, w, 1, { x: 0, y: 0, width: w, height: 6 })).toBe(false);
    expect(lightenBackground(data, w, 1, { x: 2, y: 1, width: 6, height: 4 })).toBe(true);
    expect(data[0]).toBe(255);
    expect(data[1 * w + 2]).toBe(225);
    expect(data[4 * w + 7]).toBe(225);
    expect(data[4 * w + 8]).toBe(255);
  });

  it('names a wrong polarity', () => {
    expect(checkPolarity('light')).toBe('light');
    expect(() => checkPolarity('dark')).toThrow(/polarity must be one of keep, light; got "dark"/);
  });
});

describe('polaritySource', () => {
  it('applies the polarity to each image and keeps the labels; keep returns the source itself', async () => {
    const images = [card(12, 10, 20, 230), card(12, 10, 230, 20)];
    const source: ImageSource = {
      size: 2,
      encoder: new LabelEncoder('ab'),
      maxLength: 1,
      width: 12,
      height: 10,
      channels: 1,
      load: async (i) => ({ image: images[i]!, label: 'ab'[i]! }),
    };
    expect(polaritySource(source, 'keep')).toBe(source);
    const light = polaritySource(source, 'light');
    const [a, b] = [(await light.load(0))!, (await light.load(1))!];
    expect([a.label, a.image.data[0], b.label, b.image.data[0]]).toEqual(['a', 235, 'b', 230]);
  });
});

describe("decodeImage({ polarity: 'light' })", () => {
  it('inverts a dark image and leaves the padding around it white', async () => {
    const png = encodePng(card(12, 10, 20, 230));
    const out = await decodeImage(png, { polarity: 'light', fit: 'contain', size: { width: 16, height: 10 } });
    // contain: 12×10 centred on 16×10, columns 2..13.
    expect(out.data[0]).toBe(255);
    expect(out.data[2]).toBe(235);
    expect(out.data[5 * 16 + 7]).toBe(25);
    expect(out.data[15]).toBe(255);
    const kept = await decodeImage(png, { fit: 'contain', size: { width: 16, height: 10 } });
    expect(kept.data[2]).toBe(20);
  });

  it('needs the alpha flattened: rgba with light is an error naming both', async () => {
    const png = encodePng(card(4, 4, 20, 230));
    await expect(decodeImage(png, { polarity: 'light', channels: 'rgba' })).rejects.toThrow(/polarity 'light' .* needs channels without alpha \(got rgba\)/);
    await expect(decodeImage(png, { polarity: 'dark' as never })).rejects.toThrow(/polarity must be one of keep, light; got "dark"/);
  });
});
