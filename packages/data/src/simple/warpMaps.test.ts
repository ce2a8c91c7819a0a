/**
 * The cached maps give the bytes the per-pixel formulas give (jhlabs RippleFilter, edge action ZERO; SimpleCaptcha's
 * fish-eye), on images with transparent runs, opaque and half-transparent pixels, and sizes that are not the seed's.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { applyFishEyeMap, applyRippleMap, fishEyeMap, rippleMap } from './warpMaps';

/** RGBA with transparent black columns and rows (as text on a clear layer leaves) and random pixels elsewhere. */
function testImage(w: number, h: number, seed: string): Uint8ClampedArray {
  const rng = createRng(seed);
  const px = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if ((x >> 3) % 3 === 0 || y % 7 === 0) continue;
      const o = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) px[o + c] = Math.floor(rng() * 256);
      px[o + 3] = rng() < 0.5 ? 255 : Math.floor(rng() * 256);
    }
  return px;
}

/** The ripple computed pixel by pixel, as rippleEffect did before the maps. */
function rippleByFormula(src: Uint8ClampedArray, w: number, h: number, xA: number, yA: number, xW: number, yW: number, px0: number, py0: number) {
  const out = new Uint8ClampedArray(src.length);
  const offX = Math.trunc(xA);
  const offY = Math.trunc(yA);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const ox = Math.fround(xA * Math.fround(Math.sin(Math.fround((y - offY) / xW) + px0)));
      const oy = Math.fround(yA * Math.fround(Math.sin(Math.fround((x - offX) / yW) + py0)));
      const sx = Math.fround(x - offX + ox);
      const sy = Math.fround(y - offY + oy);
      const x0 = Math.trunc(sx);
      const y0 = Math.trunc(sy);
      if (sx < 0 || x0 >= w || sy < 0 || y0 >= h) continue;
      const fx = Math.fround(sx - x0);
      const fy = Math.fround(sy - y0);
      const x1 = Math.min(x0 + 1, w - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      for (let c = 0; c < 4; c++) {
        const at = (xx: number, yy: number) => src[(yy * w + xx) * 4 + c]!;
        const top = (1 - fx) * at(x0, y0) + fx * at(x1, y0);
        const bottom = (1 - fx) * at(x0, y1) + fx * at(x1, y1);
        out[(y * w + x) * 4 + c] = Math.trunc((1 - fy) * top + fy * bottom);
      }
    }
  return out;
}

function fishEyeByFormula(src: Uint8ClampedArray, dst: Uint8ClampedArray, w: number, h: number, distance: number): void {
  const wMid = w >> 1;
  const hMid = h >> 1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const rx = x - wMid;
      const ry = y - hMid;
      const d1 = Math.sqrt(rx * rx + ry * ry);
      if (d1 >= distance || d1 === 0) continue;
      const s = d1 / distance;
      const k = ((-0.75 * s * s * s + 1.5 * s * s + 0.25 * s) * distance) / d1;
      const sx = wMid + Math.trunc(k * rx);
      const sy = hMid + Math.trunc(k * ry);
      if (sx < 0 || sx >= w || sy < 0 || sy >= h) continue;
      for (let c = 0; c < 4; c++) dst[(y * w + x) * 4 + c] = src[(sy * w + sx) * 4 + c]!;
    }
}

describe('ripple map', () => {
  it.each([
    [200, 50, 0, 0],
    [160, 60, 0, 0],
    [37, 23, 0, 0],
    [200, 50, 1.3, 4.4],
  ])('%ix%i, phases %f and %f: the bytes of the per-pixel formula', (w, h, px0, py0) => {
    const src = testImage(w, h, `r${w}x${h}`);
    const out = new Uint8ClampedArray(src.length).fill(7); // left over from an earlier captcha: must be cleared
    applyRippleMap(rippleMap(w, h, { xA: 2.6, yA: 1.7, xW: 15, yW: 5, px0, py0 }), src, out);
    expect(Buffer.from(out).equals(Buffer.from(rippleByFormula(src, w, h, 2.6, 1.7, 15, 5, px0, py0)))).toBe(true);
  });

  it('caches the phase-free map and builds a new one for random phases', () => {
    const p = { xA: 2.6, yA: 1.7, xW: 15, yW: 5, px0: 0, py0: 0 };
    expect(rippleMap(90, 30, p)).toBe(rippleMap(90, 30, p));
    expect(rippleMap(90, 30, { ...p, px0: 0.5 })).not.toBe(rippleMap(90, 30, { ...p, px0: 0.5 }));
    expect(rippleMap(90, 30, { ...p, xA: 3 })).not.toBe(rippleMap(90, 30, p));
  });
});

describe('fish-eye map', () => {
  it.each([
    [200, 50, 50],
    [200, 50, 66],
    [41, 17, 12],
  ])('%ix%i, radius %i: the bytes of the per-pixel formula, pixels outside it untouched', (w, h, distance) => {
    const src = testImage(w, h, `f${w}x${h}`);
    const before = testImage(w, h, 'dst');
    const byMap = before.slice();
    const byFormula = before.slice();
    applyFishEyeMap(fishEyeMap(w, h, distance), src, byMap);
    fishEyeByFormula(src, byFormula, w, h, distance);
    expect(Buffer.from(byMap).equals(Buffer.from(byFormula))).toBe(true);
    expect(Buffer.from(byMap).equals(Buffer.from(before))).toBe(false);
  });

  it('writes through a destination at an offset that is not a whole word', () => {
    const w = 30;
    const h = 12;
    const src = testImage(w, h, 'odd');
    const backing = new Uint8ClampedArray(w * h * 4 + 1);
    const dst = backing.subarray(1);
    const expected = new Uint8ClampedArray(w * h * 4);
    applyFishEyeMap(fishEyeMap(w, h, 9), src, dst);
    fishEyeByFormula(src, expected, w, h, 9);
    expect(Buffer.from(dst).equals(Buffer.from(expected))).toBe(true);
  });
});
