/**
 * The SimpleCaptcha facts the seed preset follows (docs/simplecaptcha-fidelity.md), each checked where a
 * plausible wrong implementation would differ: layout offsets and truncated advances, glyphs hinted as Java2D
 * draws them, the flattened curve and its width, the aliased straight band, ripple's displacement and its copy
 * over the original, the gradient's colour table.
 */
import { readFileSync } from 'node:fs';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { canvasFactory } from '../canvas';
import { createRng } from '../random';
import { applyGimpy, applyNoise, fillPolygonAliased, flattenCubic, makeBackground, straightLineCorners } from './effects';
import { Layer } from './layer';
import { simplePreset } from './builder';
import { WordRenderer } from './words';

const SANS = { family: 'Liberation Sans', weight: 'bold' } as const;
const MONO = { family: 'Liberation Mono', weight: 'bold' } as const;
const alphaAt = (px: Uint8ClampedArray, w: number, x: number, y: number) => px[(y * w + x) * 4 + 3]!;

describe('DefaultWordRenderer layout', () => {
  it('draws each image in the font pair of one machine: Liberation Sans and Mono Bold (Arial and Courier metrics), or DejaVu Sans and Sans Mono Bold (where Java falls back to Dialog and Monospaced)', () => {
    const gen = simplePreset('seed');
    expect(gen.fonts()).toEqual(['Liberation Sans bold', 'Liberation Mono bold', 'DejaVu Sans bold', 'DejaVu Sans Mono bold']);
    // Two recipes (ripple, fish-eye) per pair, each recipe one pair.
    const families = gen.recipes.map((r) => {
      const t = r.steps.find((s) => s.type === 'text');
      return t?.type === 'text' ? (t.renderer.fonts ?? []).map((f) => (typeof f === 'string' ? f : f.family)).join(' + ') : '';
    });
    expect(families).toEqual([
      'Liberation Sans + Liberation Mono',
      'Liberation Sans + Liberation Mono',
      'DejaVu Sans + DejaVu Sans Mono',
      'DejaVu Sans + DejaVu Sans Mono',
    ]);
    expect(simplePreset('seed', { fonts: ['DejaVu Sans'] }).fonts()).toEqual(['DejaVu Sans normal']);
  });

  it('starts at x = round(5% of 200) = 10 and advances by each glyph box width truncated', () => {
    const layer = new Layer(200, 50);
    const xs = new WordRenderer({ fonts: [SANS] }).render(layer.context(), 'wyaxm', 200, 50, createRng('layout'));
    // Box widths of w, y, a, x in Liberation Sans Bold at 40 px are 31.31, 21.72, 21.33, 21.68 (glyf xMax - xMin,
    // times 40/2048): truncated, 31, 21, 21, 21. Rounding would give 31, 22, 21, 22; the advance widths
    // (28.4, 22.2, 22.2, 22.2) would give other steps again.
    expect(xs).toEqual([10, 41, 62, 83, 104]);
    const f = canvasFactory();
    for (let i = 0; i + 1 < xs.length; i++) expect(xs[i + 1]! - xs[i]!).toBe(Math.trunc(f.inkWidth!(SANS, 40, 'wyaxm'[i]!)!));
  });

  it('puts the baseline at 50 - round(25% of 50) = 37: a glyph sitting on it inks rows down to 36', () => {
    const layer = new Layer(200, 50);
    new WordRenderer({ fonts: [MONO] }).render(layer.context(), 'x', 200, 50, createRng('baseline'));
    const px = layer.pixels();
    let bottom = -1;
    for (let y = 0; y < 50; y++) for (let x = 0; x < 200; x++) if (alphaAt(px, 200, x, y) > 0) bottom = y;
    expect(bottom).toBe(36);
  });

  it('scales with the image: 5% in and 25% up of a 300x80 image', () => {
    const layer = new Layer(300, 80);
    const xs = new WordRenderer({ fonts: [SANS] }).render(layer.context(), 'ab', 300, 80, createRng('scale'));
    expect(xs[0]).toBe(15);
  });
});

describe('DefaultWordRenderer glyphs, as Java2D draws them', () => {
  /** Alpha of a PNG fixture drawn by Java2D (scripts/java2d-seed/SeedJava2D.java, mode `word`). */
  async function javaAlpha(name: string): Promise<Uint8ClampedArray> {
    const img = await loadImage(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
    const ctx = createCanvas(200, 50).getContext('2d');
    ctx.drawImage(img, 0, 0);
    return ctx.getImageData(0, 0, 200, 50).data.filter((_, i) => i % 4 === 3);
  }
  const ours = (font: { family: string; weight: 'bold' }, hinted: boolean) => {
    const layer = new Layer(200, 50);
    new WordRenderer({ fonts: [font], hinted }).render(layer.context(), 'wyaxm', 200, 50, createRng('java2d'));
    return layer.pixels().filter((_, i) => i % 4 === 3);
  };
  const meanDiff = (a: Uint8ClampedArray, b: Uint8ClampedArray) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;
  const ink = (a: Uint8ClampedArray) => a.reduce((s, v) => s + v, 0) / 255;

  // Mean alpha difference a pixel from Java2D's drawing: the hinted outline's bound, and the unhinted fillText's floor.
  it.each([
    ['Liberation Sans Bold', SANS, 'java2d-wyaxm-liberation-sans-bold.png', 3, 4.5],
    ['Liberation Mono Bold', MONO, 'java2d-wyaxm-liberation-mono-bold.png', 2, 4.5],
    ['DejaVu Sans Bold', { family: 'DejaVu Sans', weight: 'bold' }, 'java2d-wyaxm-dejavu-sans-bold.png', 1, 6],
    ['DejaVu Sans Mono Bold', { family: 'DejaVu Sans Mono', weight: 'bold' }, 'java2d-wyaxm-dejavu-sans-mono-bold.png', 1, 3.5],
  ] as const)('%s: the hinted outline is within %d levels a pixel of Java2D, fillText (unhinted) over %d', async (_, font, fixture, hintedMax, unhintedMin) => {
    const java = await javaAlpha(fixture);
    expect(meanDiff(ours(font, true), java)).toBeLessThan(hintedMax);
    expect(meanDiff(ours(font, false), java)).toBeGreaterThan(unhintedMin);
    expect(ink(ours(font, true)) / ink(java)).toBeGreaterThan(0.96);
  });

  it('the seed preset draws hinted; rotated glyphs (the hard preset) keep the canvas text', () => {
    const seed = simplePreset('seed').recipes.map((r) => r.steps.find((s) => s.type === 'text'));
    expect(seed.every((s) => s?.type === 'text' && s.renderer.hinted === true)).toBe(true);
    const layer = (hinted: boolean) => {
      const l = new Layer(200, 50);
      new WordRenderer({ fonts: [SANS], hinted, rotation: 10 }).render(l.context(), 'wyaxm', 200, 50, createRng('rot'));
      return l.pixels();
    };
    expect(layer(true)).toEqual(layer(false));
  });
});

describe('CurvedLineNoiseProducer', () => {
  it('flattens like FlatteningPathIterator: a straight cubic stays one segment, a bent one stays within 2 px of the curve', () => {
    expect(flattenCubic([0, 0, 10, 10, 20, 20, 30, 30], 2)).toEqual([
      [0, 0],
      [30, 30],
    ]);
    const c = [20, 5, 20, 45, 50, 2, 180, 40] as const;
    const pts = flattenCubic([...c], 2);
    expect(pts.length).toBeGreaterThan(3);
    expect(pts[0]).toEqual([20, 5]);
    expect(pts.at(-1)).toEqual([180, 40]);
    const segDist = (x: number, y: number) =>
      Math.min(
        ...pts.slice(1).map(([bx, by], i) => {
          const [ax, ay] = pts[i]!;
          const dx = bx - ax;
          const dy = by - ay;
          const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
          return Math.hypot(ax + t * dx - x, ay + t * dy - y);
        }),
      );
    for (let k = 0; k <= 200; k++) {
      const t = k / 200;
      const u = 1 - t;
      const x = u * u * u * c[0] + 3 * u * u * t * c[2] + 3 * u * t * t * c[4] + t * t * t * c[6];
      const y = u * u * u * c[1] + 3 * u * u * t * c[3] + 3 * u * t * t * c[5] + t * t * t * c[7];
      expect(segDist(x, y)).toBeLessThan(2);
    }
  });

  it('draws a black line 3 px thick (alpha summed across it), from about 10% to 90% of the width', () => {
    const thickness = (width?: number) => {
      const layer = new Layer(200, 50);
      applyNoise(layer, { type: 'curvedLine', ...(width ? { width } : {}) }, createRng('curve', 4));
      const px = layer.pixels();
      const sums: number[] = [];
      let left = 200;
      let right = -1;
      for (let x = 0; x < 200; x++) {
        let s = 0;
        for (let y = 0; y < 50; y++) {
          const o = (y * 200 + x) * 4;
          if (px[o + 3]! > 0) {
            expect([px[o], px[o + 1], px[o + 2]]).toEqual([0, 0, 0]);
            left = Math.min(left, x);
            right = Math.max(right, x);
          }
          s += px[o + 3]! / 255;
        }
        if (x >= 60 && x < 160) sums.push(s);
      }
      sums.sort((a, b) => a - b);
      return { median: sums[sums.length >> 1]!, left, right };
    };
    const d = thickness();
    // A column crosses a 3 px stroke at angle θ over 3/cos θ pixels: at least 3, a little more where it slopes.
    expect(d.median).toBeGreaterThan(2.7);
    expect(d.median).toBeLessThan(4.5);
    expect(thickness(6).median).toBeGreaterThan(5.5);
    // Square caps reach 1.5 px past the ends at x = 20 and 180.
    expect(d.left).toBeGreaterThanOrEqual(17);
    expect(d.left).toBeLessThanOrEqual(20);
    expect(d.right).toBeGreaterThanOrEqual(180);
    expect(d.right).toBeLessThanOrEqual(183);
  });
});

describe('StraightLineNoiseProducer', () => {
  it('computes its band corners with the half-width rounded half away from zero', () => {
    // From (0, 10) to (200, 30), 4 px: the normal is (-0.199, 1.990), rounded to (0, 2).
    expect(straightLineCorners(200, 10, 30, 4)).toEqual([
      [0, 12],
      [0, 8],
      [200, 28],
      [200, 32],
    ]);
    // Steeper: from (0, 0) to (20, 40) the normal is (-1.789, 0.894), rounded to (-2, 1).
    expect(straightLineCorners(20, 0, 40, 4)).toEqual([
      [-2, 1],
      [2, -1],
      [22, 39],
      [18, 41],
    ]);
  });

  it('fills the band without antialiasing: pixel centres inside are pure red, all others untouched', () => {
    const px = new Uint8ClampedArray(200 * 50 * 4);
    fillPolygonAliased(px, 200, 50, straightLineCorners(200, 10, 30, 4), [255, 0, 0, 255]);
    const rows = (x: number) => [...Array(50).keys()].filter((y) => alphaAt(px, 200, x, y) > 0);
    expect(rows(0)).toEqual([8, 9, 10, 11]);
    expect(rows(100)).toEqual([18, 19, 20, 21]);
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] === 0) continue;
      expect([px[i], px[i + 1], px[i + 2], px[i + 3]]).toEqual([255, 0, 0, 255]);
    }
  });

  it('draws red, 4 px, across the whole width, as the noise step', () => {
    const layer = new Layer(200, 50);
    applyNoise(layer, { type: 'straightLine' }, createRng('line', 1));
    const px = layer.pixels();
    for (const x of [0, 100, 199]) {
      const ys = [...Array(50).keys()].filter((y) => alphaAt(px, 200, x, y) > 0);
      expect(ys.length).toBeGreaterThanOrEqual(3);
      expect(ys.length).toBeLessThanOrEqual(5);
    }
  });
});

describe('RippleGimpyRenderer', () => {
  /** A layer with one opaque black column at x = 100. */
  const column = () => {
    const layer = new Layer(200, 50);
    const px = layer.pixels();
    for (let y = 0; y < 50; y++) px[(y * 200 + 100) * 4 + 3] = 255;
    return layer;
  };

  it('samples (u + 2.6 sin(v/15), v + 1.7 sin(u/5)) at (u, v) = (x - 2, y - 1) and paints that over the unrippled image', () => {
    const layer = column();
    applyGimpy(layer, { type: 'ripple' }, createRng('ripple'));
    const px = layer.pixels();
    for (const y of [10, 23, 40]) {
      const d = 2.6 * Math.sin((y - 1) / 15);
      // Output pixel x samples x - 2 + d (the ZERO edge action's 2 px margin); its weight on column 100 is
      // 1 - |x - 2 + d - 100|.
      for (let x = 95; x <= 104; x++) {
        if (x === 100) continue;
        const wgt = Math.max(0, 1 - Math.abs(x - 2 + d - 100));
        expect(Math.abs(alphaAt(px, 200, x, y) - Math.trunc(wgt * 255)), `(${x}, ${y})`).toBeLessThanOrEqual(1);
      }
      // The original column stays under the rippled copy.
      expect(alphaAt(px, 200, 100, y)).toBe(255);
    }
    // Row 1 samples row 0 of the source with no sideways move: the copy sits exactly 2 px right of the original.
    expect([99, 100, 101, 102, 103].map((x) => alphaAt(px, 200, x, 1))).toEqual([0, 255, 0, 255, 0]);
  });

  it('moves rows by 1.7 sin(u/5), and a source point above the image gives transparent (edge action ZERO)', () => {
    // Only the top row is opaque. Output row 1 samples v = 0 moved to 1.7 sin((x - 2)/5).
    const layer = new Layer(200, 50);
    const px = layer.pixels();
    for (let x = 0; x < 200; x++) px[x * 4 + 3] = 255;
    applyGimpy(layer, { type: 'ripple' }, createRng('ripple'));
    let above = 0;
    for (let x = 2; x < 198; x++) {
      const sy = 1.7 * Math.sin((x - 2) / 5);
      // Above the image: ZERO gives transparent (a clamping edge would repeat the opaque top row).
      if (sy < 0) above++;
      const want = sy < 0 || sy >= 1 ? 0 : Math.trunc((1 - sy) * 255);
      expect(Math.abs(alphaAt(px, 200, x, 1) - want), `(${x}, 1)`).toBeLessThanOrEqual(1);
    }
    expect(above).toBeGreaterThan(80);
  });

  it('replaces the image instead when overOriginal is false (the hard preset)', () => {
    const layer = column();
    applyGimpy(layer, { type: 'ripple', overOriginal: false }, createRng('ripple'));
    // At y = 23 the copy is 2.6 px left, so the column itself is gone.
    expect(alphaAt(layer.pixels(), 200, 100, 23)).toBe(0);
  });
});

describe('GradiatedBackgroundProducer', () => {
  it('paints dark gray (64) to white along (0,0)-(w,h) from each pixel corner, colours truncated from a 257-entry table', () => {
    const bg = makeBackground({ type: 'gradiated' }, 200, 50);
    const at = (x: number, y: number) => bg[(y * 200 + x) * 4]!;
    expect(at(0, 0)).toBe(64);
    // (100, 25): t = (100·200 + 25·50) / (200² + 50²) = 0.5 → 64 + 191·128/256 = 159.5 → 159.
    expect(at(100, 25)).toBe(159);
    // (199, 49): t = 0.9941 → entry 254 → 64 + 191·254/256 = 253.5 → 253.
    expect(at(199, 49)).toBe(253);
    expect(bg[3]).toBe(255);
  });
});

describe('seed preset determinism', () => {
  it('gives the same pixels for the same seed and index from separate generators, and differs across indices', () => {
    const a = simplePreset('seed', { seed: 'fidelity' });
    const b = simplePreset('seed', { seed: 'fidelity' });
    for (const i of [0, 1, 2, 3]) expect(Buffer.from(a.render(i).rgba).equals(Buffer.from(b.render(i).rgba))).toBe(true);
    expect(Buffer.from(a.render(0).rgba).equals(Buffer.from(a.render(1).rgba))).toBe(false);
  });
});
