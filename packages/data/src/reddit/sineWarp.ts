import { randFloat, type Rng } from '../random';

/** PyCAPTCHA's `Distortions.SineWarp`: each axis shifted by a sine of the other. */
export interface SineWarp {
  amplitude: number;
  period: number;
  /** Phase offsets, in pixels, of the x and y waves. */
  offsetX: number;
  offsetY: number;
}

/** PyCAPTCHA's defaults: amplitude 3–6.5 pixels, period (angular frequency) 0.04–0.1 per pixel. */
export const DEFAULT_AMPLITUDE: readonly [number, number] = [3, 6.5];
export const DEFAULT_PERIOD: readonly [number, number] = [0.04, 0.1];

/** Draws a warp as SineWarp's constructor does (amplitude, period, then the two offsets). */
export function drawSineWarp(rng: Rng, amplitude: readonly [number, number] = DEFAULT_AMPLITUDE, period: readonly [number, number] = DEFAULT_PERIOD): SineWarp {
  const a = randFloat(rng, amplitude[0], amplitude[1]);
  const p = randFloat(rng, period[0], period[1]);
  const span = (Math.PI * 2) / p;
  return { amplitude: a, period: p, offsetX: randFloat(rng, 0, span), offsetY: randFloat(rng, 0, span) };
}

/** The source point an output point (x, y) reads, clamped to the image as PyCAPTCHA does. */
function sourceOf(w: SineWarp, x: number, y: number, width: number, height: number): [number, number] {
  const sx = Math.sin((y + w.offsetX) * w.period) * w.amplitude + x;
  const sy = Math.sin((x + w.offsetY) * w.period) * w.amplitude + y;
  return [Math.max(0, Math.min(width - 1, sx)), Math.max(0, Math.min(height - 1, sy))];
}

/** Bilinear sample of a one-channel image at a point (pixel x covers [x, x+1), as in PIL); edge pixels extend outwards. */
function sample(src: Uint8Array, width: number, height: number, px: number, py: number): number {
  const x = px - 0.5;
  const y = py - 0.5;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (i: number, j: number) => src[Math.min(height - 1, Math.max(0, j)) * width + Math.min(width - 1, Math.max(0, i))]!;
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * Applies a warp like PyCAPTCHA's WarpBase: the transform is evaluated on a
 * mesh of points every `resolution` pixels, each output cell reads the
 * source quadrilateral its corners map to (bilinear in the cell), and the
 * source is sampled bilinearly. One channel, 8-bit in and out (as PIL's).
 */
export function applySineWarp(src: Uint8Array, width: number, height: number, warp: SineWarp, resolution = 10): Uint8Array {
  if (src.length !== width * height) throw new Error(`applySineWarp: expected ${width * height} pixels, got ${src.length}`);
  const cols = Math.floor(width / resolution) + 2;
  const rows = Math.floor(height / resolution) + 2;
  const mx = new Float64Array(cols * rows);
  const my = new Float64Array(cols * rows);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const [sx, sy] = sourceOf(warp, i * resolution, j * resolution, width, height);
      mx[j * cols + i] = sx;
      my[j * cols + i] = sy;
    }
  }
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const j = Math.floor(y / resolution);
    const v = (y + 0.5 - j * resolution) / resolution;
    for (let x = 0; x < width; x++) {
      const i = Math.floor(x / resolution);
      const u = (x + 0.5 - i * resolution) / resolution;
      const k = j * cols + i;
      const w00 = (1 - u) * (1 - v);
      const w10 = u * (1 - v);
      const w01 = (1 - u) * v;
      const w11 = u * v;
      const sx = mx[k]! * w00 + mx[k + 1]! * w10 + mx[k + cols]! * w01 + mx[k + cols + 1]! * w11;
      const sy = my[k]! * w00 + my[k + 1]! * w10 + my[k + cols]! * w01 + my[k + cols + 1]! * w11;
      out[y * width + x] = Math.round(sample(src, width, height, sx, sy));
    }
  }
  return out;
}
