import { describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { rippleWarp } from './plain';

/** An opaque W x H image: white, with a black horizontal band on rows y0..y1. */
function band(W: number, H: number, y0: number, y1: number): Uint8ClampedArray {
  const px = new Uint8ClampedArray(W * H * 4).fill(255);
  for (let y = y0; y <= y1; y++) for (let x = 0; x < W; x++) px.fill(0, (y * W + x) * 4, (y * W + x) * 4 + 3);
  return px;
}

/** Per column, the mean row of the ink, weighted by darkness. */
function inkRows(px: Uint8ClampedArray, W: number, H: number): number[] {
  return Array.from({ length: W }, (_, x) => {
    let s = 0;
    let m = 0;
    for (let y = 0; y < H; y++) {
      const d = 255 - px[(y * W + x) * 4]!;
      s += d * y;
      m += d;
    }
    return s / m;
  });
}

describe('rippleWarp', () => {
  it('bends a straight band (its row moves by a pixel or more along x), keeps it whole, and leaves a flat image flat and opaque', () => {
    const W = 160;
    const H = 64;
    for (const seed of ['a', 'b', 'c']) {
      const rows = inkRows(rippleWarp(band(W, H, 30, 33), W, H, createRng(seed)), W, H);
      expect(Math.max(...rows) - Math.min(...rows), seed).toBeGreaterThanOrEqual(1);
      expect(Math.max(...rows) - Math.min(...rows), seed).toBeLessThan(16);
      expect(rows.every(Number.isFinite), `${seed}: a column lost its ink`).toBe(true);
    }
    const flat = new Uint8ClampedArray(W * H * 4);
    for (let i = 0; i < flat.length; i += 4) flat.set([200, 120, 40, 255], i);
    const out = rippleWarp(flat, W, H, createRng('flat'));
    expect(out).toEqual(flat);
  });
});
