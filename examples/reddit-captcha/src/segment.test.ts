import { describe, expect, it } from 'vitest';
import { LETTER_SIZE, letterImage } from './letterImage';
import { lettersOf } from './letters';
import { REDDIT_SEGMENTATION, segmentCaptcha } from './segment';
import { blocks } from './testImages';

const W = 120;
const H = 50;
/** Six 10×14 letters 15 pixels apart from x = 5. */
const SIX: Array<[number, number, number, number]> = [0, 1, 2, 3, 4, 5].map((i) => [5 + 15 * i, 18, 10, 14]);

describe('segmentCaptcha', () => {
  it('cuts six separate letters, left to right', () => {
    const s = segmentCaptcha(blocks(W, H, [...SIX].reverse()));
    expect(s.ok).toBe(true);
    if (s.ok) expect(s.letters.map((c) => [c.x0, c.x1 - c.x0, c.y1 - c.y0])).toEqual(SIX.map(([x, , w, h]) => [x, w, h]));
  });

  it('drops dots and specks, and thin lines (the grid)', () => {
    const noisy = blocks(W, H, [...SIX, [2, 2, 2, 2], [60, 40, 3, 3], [0, 45, 120, 1], [112, 0, 1, 50], [31, 0, 2, 50]]);
    expect(segmentCaptcha(noisy, { ...REDDIT_SEGMENTATION, minCore: 4 }).ok).toBe(true);
    // With the tuned minCore of 1 a crossing of one-pixel lines (one core pixel) survives: on real renders the
    // threshold leaves few such crossings, and tune found 1 no worse there. Lines that do not cross are dropped.
    expect(segmentCaptcha(noisy).ok).toBe(false);
    expect(segmentCaptcha(blocks(W, H, [...SIX, [2, 2, 2, 2], [60, 40, 3, 3], [0, 45, 120, 1], [112, 0, 1, 40], [31, 0, 2, 44]])).ok).toBe(true);
  });

  it('splits touching letters at their thinnest column', () => {
    // Letters 3 and 4 joined by a 2-pixel bridge: one 25-pixel-wide component.
    const touching = blocks(W, H, [...SIX.slice(0, 3), [50, 18, 25, 14], ...SIX.slice(4)]);
    for (let y = 18; y < 32; y++) if (y !== 24 && y !== 25) for (let x = 60; x < 65; x++) touching.data[y * W + x] = 0;
    const s = segmentCaptcha(touching);
    expect(s.ok).toBe(true);
    if (s.ok) {
      const [a, b] = [s.letters[3]!, s.letters[4]!];
      expect(a.x0).toBe(50);
      expect(b.x1).toBe(75);
      expect(a.x1).toBeGreaterThanOrEqual(60);
      expect(b.x0).toBeLessThanOrEqual(65);
    }
  });

  it('merges pieces of one letter stacked over one another', () => {
    const broken = blocks(W, H, [...SIX.slice(0, 5), [80, 12, 10, 10], [80, 24, 10, 10]]);
    const s = segmentCaptcha(broken);
    expect(s.ok).toBe(true);
    if (s.ok) expect([s.letters[5]!.y0, s.letters[5]!.y1]).toEqual([12, 34]);
  });

  it('with trimExtra, drops the smallest segments while there are too many', () => {
    const extra = blocks(W, H, [...SIX, [97, 2, 8, 10]]);
    expect(segmentCaptcha(extra, { ...REDDIT_SEGMENTATION, trimExtra: false }).ok).toBe(false);
    const s = segmentCaptcha(extra, { ...REDDIT_SEGMENTATION, trimExtra: true });
    expect(s.ok).toBe(true);
    if (s.ok) expect(s.letters.map((c) => c.x0)).toEqual(SIX.map(([x]) => x));
    // Still too few stays a failure.
    expect(segmentCaptcha(blocks(W, H, SIX.slice(0, 5)), { ...REDDIT_SEGMENTATION, trimExtra: true }).ok).toBe(false);
  });

  it('fails with the reason: too few, too many, out of letter size, an empty image', () => {
    const fail = (rects: Array<[number, number, number, number]>) => {
      const s = segmentCaptcha(blocks(W, H, rects), { ...REDDIT_SEGMENTATION, trimExtra: false });
      return s.ok ? 'ok' : s.reason;
    };
    expect(fail(SIX.slice(0, 5))).toBe('too few segments');
    expect(fail([...SIX, [100, 2, 8, 10]])).toBe('too many segments');
    expect(fail([...SIX.slice(0, 5), [80, 2, 10, 40]])).toBe('a segment out of letter size');
    expect(fail([])).toBe('too few segments');
    expect(REDDIT_SEGMENTATION.letters).toBe(6);
  });
});

describe('letter images', () => {
  it('centres a segment on the letter canvas at its own size, never stretched', () => {
    const img = blocks(W, H, SIX);
    const s = segmentCaptcha(img);
    if (!s.ok) throw new Error(s.reason);
    const l = letterImage(img, s.letters[0]!);
    expect([l.width, l.height]).toEqual([LETTER_SIZE, LETTER_SIZE]);
    const on = Array.from(l.data).filter((v) => v > 0).length;
    expect(on).toBe(10 * 14);
    // Columns 9..18 and rows 7..20 of 28.
    expect(l.data[7 * LETTER_SIZE + 9]).toBe(255);
    expect(l.data[6 * LETTER_SIZE + 9]).toBe(0);
    expect(l.data[20 * LETTER_SIZE + 18]).toBe(255);
    expect(l.data[20 * LETTER_SIZE + 19]).toBe(0);
  });

  it('refuses a segment larger than the canvas, and lettersOf drops such a render', () => {
    const img = blocks(W, H, [[0, 0, 30, 10]]);
    expect(() => letterImage(img, { pixels: [0], x0: 0, y0: 0, x1: 30, y1: 10 })).toThrow(/does not fit/);
    expect(lettersOf(blocks(W, H, SIX))).toHaveLength(6);
    expect(lettersOf(blocks(W, H, SIX.slice(1)))).toBe('too few segments');
  });
});
