import { describe, expect, it } from 'vitest';
import { fitRGBA, fittedBox, type Fit } from './fit';
import { fromRGBA, toRGBA } from './image';
import { decodeImage } from './loader/decode';
import { withPolarity } from './polarity';
import { meanAbsDiff, noise, png } from './test/helpers';

describe('fitRGBA: the pixels the browser page reads are the ones training decoded', () => {
  // A noisy 30x12 picture into 20x20 (shrunk), 40x30 (kept or enlarged) and 30x12 (as is).
  const img = noise(30, 12, 3);
  const rgba = toRGBA(img);
  const sizes = [
    [20, 20],
    [40, 30],
    [30, 12],
  ] as const;

  for (const fit of ['resize', 'contain', 'scale'] as Fit[])
    it(`fit '${fit}' matches decodeImage's, and draws inside fittedBox only`, async () => {
      for (const [W, H] of sizes) {
        const ours = fitRGBA(rgba, 30, 12, W, H, fit);
        const decoded = await decodeImage(png(img), { channels: 'rgb', fit, size: { width: W, height: H } });
        expect(meanAbsDiff(fromRGBA(ours, W, H, 'rgb').data, decoded.data), `${fit} ${W}x${H}`).toBeLessThan(0.5);
        const b = fittedBox(30, 12, W, H, fit);
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const inside = x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height;
            if (!inside) expect(Array.from(ours.subarray((y * W + x) * 4, (y * W + x) * 4 + 4)), `${fit} ${W}x${H} at ${x},${y}`).toEqual([255, 255, 255, 255]);
          }
      }
    });

  it('fittedBox: resize fills the canvas, contain never enlarges, scale does; an unknown fit is an error naming it', () => {
    expect(fittedBox(30, 12, 40, 30, 'resize')).toEqual({ x: 0, y: 0, width: 40, height: 30 });
    expect(fittedBox(30, 12, 40, 30, 'contain')).toEqual({ x: 5, y: 9, width: 30, height: 12 });
    expect(fittedBox(30, 12, 40, 30, 'scale')).toEqual({ x: 0, y: 7, width: 40, height: 16 });
    expect(() => fittedBox(30, 12, 40, 30, 'stretch' as Fit)).toThrow(/fit must be one of resize, contain, scale; got "stretch"/);
    expect(() => fitRGBA(rgba, 30, 11, 40, 30)).toThrow(/fitRGBA: expected 1320 RGBA bytes for 30x11, got 1440/);
  });

  it('polarity judged inside the box: a dark captcha contained on white is inverted, its white padding is not', () => {
    const dark = { data: new Uint8Array(10 * 4).fill(20), width: 10, height: 4, channels: 1 };
    const fitted = fitRGBA(toRGBA(dark), 10, 4, 10, 10, 'contain');
    const gray = { data: new Uint8Array(100).map((_, i) => fitted[i * 4]!), width: 10, height: 10, channels: 1 };
    const box = fittedBox(10, 4, 10, 10, 'contain');
    // Judged over the whole image the white padding wins, and nothing is inverted.
    expect(withPolarity(gray, 'light')).toBe(gray);
    const light = withPolarity(gray, 'light', box);
    expect([light.data[0], light.data[box.y * 10]]).toEqual([255, 235]);
  });
});
