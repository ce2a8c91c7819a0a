import { readFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { skiaCanvasFactory } from './canvasNode';
import { SIMPLE_CAPTCHA_CHARSET } from './generator';
import { inkWidth, readGlyphBoxes } from './ttf';

const LIBERATION_SANS_BOLD = '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf';

/** Ink extent skia draws for `ch` at `px` (an independent measure: the rasterised glyph's first and last inked columns). */
function drawnInkWidth(family: string, px: number, ch: string): number {
  const canvas = createCanvas(px * 2, px * 2);
  const ctx = canvas.getContext('2d');
  ctx.font = `normal bold ${px}px "${family}"`;
  ctx.fillStyle = 'black';
  ctx.fillText(ch, px / 2, px * 1.5);
  const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let lo = width;
  let hi = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4 + 3]! > 0) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
  }
  return hi - lo + 1;
}

describe('TrueType glyph boxes', () => {
  const boxes = readGlyphBoxes(readFileSync(LIBERATION_SANS_BOLD));

  it('reads each glyph outline box: its width matches the ink skia draws at 400 px (to the pixel or two antialiasing adds)', () => {
    expect(boxes.unitsPerEm).toBe(2048);
    for (const ch of SIMPLE_CAPTCHA_CHARSET) {
      const w = inkWidth(boxes, 400, ch)!;
      // Antialiased coverage rounds the drawn extent out by up to a pixel on each side.
      const drawn = drawnInkWidth('Liberation Sans', 400, ch);
      expect(drawn - w, ch).toBeGreaterThanOrEqual(-1);
      expect(drawn - w, ch).toBeLessThanOrEqual(2);
    }
  });

  it('tells glyphs apart (the cmap lookup finds each character, not one fallback glyph)', () => {
    const widths = new Set([...SIMPLE_CAPTCHA_CHARSET].map((ch) => inkWidth(boxes, 40, ch)!.toFixed(3)));
    expect(widths.size).toBeGreaterThan(15);
    // 'm' and 'w' are the widest letters of the charset, 'r' and 'f' the narrowest.
    const w = (ch: string) => inkWidth(boxes, 40, ch)!;
    expect(w('m')).toBeGreaterThan(w('n') * 1.4);
    expect(w('r')).toBeLessThan(w('n') * 0.75);
  });

  it('gives null for a character the font lacks and a clear error for bytes that are not a TrueType font', () => {
    expect(boxes.xExtent('\u4e00')).toBeNull();
    expect(() => readGlyphBoxes(new Uint8Array(64))).toThrow(/ttf: not a font file opentype.js can read/);
  });

  it('the Node canvas factory reads the box from the font file behind a family', () => {
    expect(skiaCanvasFactory.inkWidth?.({ family: 'Liberation Sans', weight: 'bold' }, 40, 'a')).toBeCloseTo(inkWidth(boxes, 40, 'a')!, 10);
    expect(skiaCanvasFactory.inkWidth?.({ family: 'No Such Family' }, 40, 'a')).toBeNull();
  });

  it("hints outlines with the font's TrueType instructions: the stems of l at 40 px land on whole pixels", () => {
    // Unhinted, the l is the box x 2.793..8.281, y -28.984..0; the instructions snap it to 2..8 and -29.
    expect(boxes.hintedPath('l', 40)).toBe('M8 0L2 0L2-29L8-29');
    // n's stems too: unhinted its right stem is 16.484..21.953.
    expect(boxes.hintedPath('n', 40)).toMatch(/^M21 0L15 0L15-/);
    expect(boxes.hintedPath('\u4e00', 40)).toBeNull();
  });

  it('the Node canvas factory fills a hinted glyph where it knows the font file, and declines where it does not', () => {
    const ctx = createCanvas(40, 40).getContext('2d');
    expect(skiaCanvasFactory.fillHintedGlyph?.(ctx, { family: 'Liberation Sans', weight: 'bold' }, 40, 'l', 0, 35)).toBe(true);
    // The hinted l covers columns 2..7 and rows 6..34 fully, and nothing else.
    const { data } = ctx.getImageData(0, 0, 40, 40);
    const alpha = (x: number, y: number) => data[(y * 40 + x) * 4 + 3]!;
    expect([alpha(1, 20), alpha(2, 20), alpha(7, 20), alpha(8, 20)]).toEqual([0, 255, 255, 0]);
    expect([alpha(4, 5), alpha(4, 6), alpha(4, 34), alpha(4, 35)]).toEqual([0, 255, 255, 0]);
    expect(skiaCanvasFactory.fillHintedGlyph?.(ctx, { family: 'No Such Family' }, 40, 'l', 0, 35)).toBe(false);
  });
});
