/**
 * SimpleCaptcha's effect families (nl.captcha 1.2.x), re-implemented on RGBA
 * buffers and skia. Each effect is a plain, serialisable spec object made by a
 * factory (`ripple()`, `gradiated({ from: 'navy' })`, ...), and drawn with a
 * seeded PRNG. Defaults follow SimpleCaptcha's; deviations are noted inline.
 */
import { canvasFactory } from '../canvas';
import { parseColor } from '../image';
import { randInt, type Rng } from '../random';
import { boundedCache } from './boundedCache';
import type { Layer } from './layer';
import { applyFishEyeMap, applyRippleMap, fishEyeMap, rippleMap } from './warpMaps';

// ---------------------------------------------------------------- specs

/** Backgrounds (SimpleCaptcha's BackgroundProducer family). */
export type BackgroundSpec =
  | { type: 'transparent' }
  | { type: 'flat'; color?: string }
  | { type: 'gradiated'; from?: string; to?: string }
  | { type: 'squiggles'; color?: string; background?: string; alpha?: number; spacing?: number };

/** Noise (NoiseProducer family). */
export type NoiseSpec = { type: 'curvedLine'; color?: string; width?: number } | { type: 'straightLine'; color?: string; thickness?: number };

/** Distortions (GimpyRenderer family). */
export type GimpySpec =
  | {
      type: 'ripple';
      xAmplitude?: number;
      yAmplitude?: number;
      xWavelength?: number;
      yWavelength?: number;
      randomPhase?: boolean;
      /** Paint the rippled copy over the unrippled image, as SimpleCaptcha does (default true); false replaces it. */
      overOriginal?: boolean;
    }
  | { type: 'fishEye'; hColor?: string; vColor?: string; spacing?: number }
  | { type: 'shear'; color?: string; scale?: number }
  | { type: 'dropShadow'; radius?: number; opacity?: number; distance?: number; angle?: number; color?: string }
  | { type: 'block'; blockSize?: number };

/** TransparentBackgroundProducer: SimpleCaptcha's `addBackground()` default. */
export const transparent = (): BackgroundSpec => ({ type: 'transparent' });
/** FlatColorBackgroundProducer (default gray). */
export const flat = (o: { color?: string } = {}): BackgroundSpec => ({ type: 'flat', ...o });
/** GradiatedBackgroundProducer: diagonal gradient, dark gray to white by default. */
export const gradiated = (o: { from?: string; to?: string } = {}): BackgroundSpec => ({ type: 'gradiated', ...o });
/** SquigglesBackgroundProducer: rows of dashed ellipses. */
export const squiggles = (o: { color?: string; background?: string; alpha?: number; spacing?: number } = {}): BackgroundSpec => ({
  type: 'squiggles',
  ...o,
});
/** CurvedLineNoiseProducer: a random cubic curve, flattened to a polyline of whole-pixel points, black, 3 px. */
export const curvedLine = (o: { color?: string; width?: number } = {}): NoiseSpec => ({ type: 'curvedLine', ...o });
/** StraightLineNoiseProducer: a random straight band across, red, 4 px, filled as an aliased quadrilateral. */
export const straightLine = (o: { color?: string; thickness?: number } = {}): NoiseSpec => ({ type: 'straightLine', ...o });
/**
 * RippleGimpyRenderer: jhlabs RippleFilter, sine, amplitudes 2.6/1.7, wavelengths 15/5, its output (grown by the
 * ZERO edge action, so shifted about 2 px right and 1 px down) painted over the unrippled image.
 */
export const ripple = (o: Omit<Extract<GimpySpec, { type: 'ripple' }>, 'type'> = {}): GimpySpec => ({ type: 'ripple', ...o });
/** FishEyeGimpyRenderer: a grid overlay, then a fish-eye bulge in the middle. */
export const fishEye = (o: { hColor?: string; vColor?: string; spacing?: number } = {}): GimpySpec => ({ type: 'fishEye', ...o });
/** ShearGimpyRenderer: random sinusoidal row and column shifts, gaps filled gray. `scale` (default 1) multiplies the shifts. */
export const shear = (o: { color?: string; scale?: number } = {}): GimpySpec => ({ type: 'shear', ...o });
/** DropShadowGimpyRenderer: jhlabs ShadowFilter, radius 3, opacity 0.75. */
export const dropShadow = (o: Omit<Extract<GimpySpec, { type: 'dropShadow' }>, 'type'> = {}): GimpySpec => ({ type: 'dropShadow', ...o });
/** BlockGimpyRenderer: jhlabs BlockFilter (pixelation), block size 3. */
export const block = (o: { blockSize?: number } = {}): GimpySpec => ({ type: 'block', ...o });

// ---------------------------------------------------------------- backgrounds

/** No background varies from captcha to captcha (not in SimpleCaptcha either): each is drawn once per spec and size. */
const backgroundCache = boundedCache<Uint8ClampedArray>();

/** Opaque (or, for 'transparent', empty) RGBA background pixels, the caller's own. */
export function makeBackground(spec: BackgroundSpec, width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  if (spec.type === 'transparent') return out;
  out.set(backgroundCache(JSON.stringify([spec, width, height]), () => drawBackground(spec, width, height)));
  return out;
}

function drawBackground(spec: Exclude<BackgroundSpec, { type: 'transparent' }>, width: number, height: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  switch (spec.type) {
    case 'flat': {
      const [r, g, b] = parseColor(spec.color ?? 'gray');
      for (let i = 0; i < out.length; i += 4) {
        out[i] = r;
        out[i + 1] = g;
        out[i + 2] = b;
        out[i + 3] = 255;
      }
      return out;
    }
    case 'gradiated': {
      // java.awt.GradientPaint((0, 0), from, (w, h), to), acyclic, as GradientPaintContext paints it: t from each
      // pixel's top-left corner, looked up in a 257-entry table of truncated colours.
      const f = parseColor(spec.from ?? '#404040');
      const t = parseColor(spec.to ?? '#ffffff');
      const table = new Uint8ClampedArray(257 * 3);
      for (let i = 0; i <= 256; i++) {
        const rel = Math.fround(i / 256);
        for (let c = 0; c < 3; c++) table[i * 3 + c] = Math.trunc(f[c]! + (t[c]! - f[c]!) * rel);
      }
      const d2 = width * width + height * height;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const u = (x * width + y * height) / d2;
          const i = u <= 0 ? 0 : u >= 1 ? 256 : Math.trunc(u * 256);
          const o = (y * width + x) * 4;
          out[o] = table[i * 3]!;
          out[o + 1] = table[i * 3 + 1]!;
          out[o + 2] = table[i * 3 + 2]!;
          out[o + 3] = 255;
        }
      }
      return out;
    }
    case 'squiggles': {
      const canvas = canvasFactory().createCanvas(width, height);
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = spec.background ?? 'black';
      ctx.fillRect(0, 0, width, height);
      ctx.strokeStyle = spec.color ?? 'white';
      ctx.globalAlpha = spec.alpha ?? 0.75;
      ctx.lineWidth = 2;
      ctx.lineCap = 'butt';
      ctx.setLineDash([2, 2]);
      const delta = spec.spacing ?? 5;
      for (let xt = 0; xt < 2 * width; xt += delta) {
        ctx.beginPath();
        ctx.ellipse(xt - width + width / 2, height / 2, width / 2, height / 2, 0, 0, Math.PI * 2);
        ctx.stroke();
      }
      return ctx.getImageData(0, 0, width, height).data;
    }
  }
}

/** Paints `layer` (unpremultiplied RGBA) over `bg` in place (SRC_OVER). */
export function compositeOver(bg: Uint8ClampedArray, layer: Uint8ClampedArray): void {
  for (let i = 0; i < bg.length; i += 4) {
    const sa = layer[i + 3]!;
    if (sa === 0) continue;
    if (sa === 255) {
      bg[i] = layer[i]!;
      bg[i + 1] = layer[i + 1]!;
      bg[i + 2] = layer[i + 2]!;
      bg[i + 3] = 255;
      continue;
    }
    const da = bg[i + 3]!;
    const a = sa / 255;
    const db = (da / 255) * (1 - a);
    const oa = a + db;
    bg[i] = (layer[i]! * a + bg[i]! * db) / oa;
    bg[i + 1] = (layer[i + 1]! * a + bg[i + 1]! * db) / oa;
    bg[i + 2] = (layer[i + 2]! * a + bg[i + 2]! * db) / oa;
    bg[i + 3] = oa * 255 + 0.5;
  }
}

/** SimpleCaptcha's addBorder(): a 1-pixel line round the edge. */
export function drawBorder(px: Uint8ClampedArray, width: number, height: number, color = 'black'): void {
  const [r, g, b, a] = parseColor(color);
  const set = (x: number, y: number) => {
    const o = (y * width + x) * 4;
    px[o] = r;
    px[o + 1] = g;
    px[o + 2] = b;
    px[o + 3] = a;
  };
  for (let x = 0; x < width; x++) {
    set(x, 0);
    set(x, height - 1);
  }
  for (let y = 0; y < height; y++) {
    set(0, y);
    set(width - 1, y);
  }
}

// ---------------------------------------------------------------- noise

export function applyNoise(layer: Layer, spec: NoiseSpec, rng: Rng): void {
  if (spec.type === 'curvedLine') curvedLineNoise(layer, spec, rng);
  else straightLineNoise(layer, spec, rng);
}

/** A cubic Bézier curve as [x0, y0, cx1, cy1, cx2, cy2, x1, y1]. */
type Cubic = [number, number, number, number, number, number, number, number];

/** Squared distance from (px, py) to the segment (x1, y1)–(x2, y2) (java.awt.geom.Line2D.ptSegDistSq). */
function ptSegDistSq(x1: number, y1: number, x2: number, y2: number, px: number, py: number): number {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - x1) * dx + (py - y1) * dy) / len2 : 0;
  t = Math.min(Math.max(t, 0), 1);
  const ex = x1 + t * dx - px;
  const ey = y1 + t * dy - py;
  return ex * ex + ey * ey;
}

/**
 * The polyline java.awt.geom.FlatteningPathIterator makes of a cubic: halve it
 * (de Casteljau) until both control points lie within `flatness` of the chord
 * or `limit` halvings deep, and keep each piece's end point. Starts with the
 * curve's first point.
 */
export function flattenCubic(c: Cubic, flatness: number, limit = 10): Array<[number, number]> {
  const out: Array<[number, number]> = [[c[0], c[1]]];
  const flat2 = flatness * flatness;
  const visit = (q: Cubic, level: number): void => {
    const f = Math.max(ptSegDistSq(q[0], q[1], q[6], q[7], q[2], q[3]), ptSegDistSq(q[0], q[1], q[6], q[7], q[4], q[5]));
    if (level >= limit || f < flat2) {
      out.push([q[6], q[7]]);
      return;
    }
    const mx1 = (q[0] + q[2]) / 2;
    const my1 = (q[1] + q[3]) / 2;
    const mcx = (q[2] + q[4]) / 2;
    const mcy = (q[3] + q[5]) / 2;
    const mx2 = (q[4] + q[6]) / 2;
    const my2 = (q[5] + q[7]) / 2;
    const ax = (mx1 + mcx) / 2;
    const ay = (my1 + mcy) / 2;
    const bx = (mcx + mx2) / 2;
    const by = (mcy + my2) / 2;
    const cx = (ax + bx) / 2;
    const cy = (ay + by) / 2;
    visit([q[0], q[1], mx1, my1, ax, ay, cx, cy], level + 1);
    visit([cx, cy, bx, by, mx2, my2, q[6], q[7]], level + 1);
  };
  visit(c, 0);
  return out;
}

/**
 * CurvedLineNoiseProducer: a cubic from (10% w, r0·h) with controls
 * (10% w, r1·h), (25% w, r2·h) to (90% w, r3·h), the r uniform in [0, 1);
 * flattened with flatness 2, its points truncated to whole pixels, and each
 * segment drawn as its own antialiased 3 px line with square caps (Java's
 * BasicStroke default). Java's stroke normalisation moves antialiased lines'
 * whole-pixel ends to the pixel's quarter point, hence the 0.25.
 */
function curvedLineNoise(layer: Layer, spec: Extract<NoiseSpec, { type: 'curvedLine' }>, rng: Rng): void {
  const { width: w, height: h } = layer;
  const ys = [h * rng(), h * rng(), h * rng(), h * rng()];
  const pts = flattenCubic([w * 0.1, ys[0]!, w * 0.1, ys[1]!, w * 0.25, ys[2]!, w * 0.9, ys[3]!], 2).map(
    ([x, y]) => [Math.trunc(x) + 0.25, Math.trunc(y) + 0.25] as const,
  );
  const ctx = layer.context();
  ctx.save();
  ctx.strokeStyle = spec.color ?? 'black';
  ctx.lineWidth = spec.width ?? 3;
  ctx.lineCap = 'square';
  for (let i = 0; i + 1 < pts.length; i++) {
    ctx.beginPath();
    ctx.moveTo(pts[i]![0], pts[i]![1]);
    ctx.lineTo(pts[i + 1]![0], pts[i + 1]![1]);
    ctx.stroke();
  }
  ctx.restore();
}

/**
 * The corners StraightLineNoiseProducer fills: a band `thickness` wide from
 * (0, y1) to (width, y2), its half-width offsets rounded half away from zero.
 */
export function straightLineCorners(width: number, y1: number, y2: number, thickness: number): Array<[number, number]> {
  const dX = width;
  const dY = y2 - y1;
  const scale = thickness / (2 * Math.sqrt(dX * dX + dY * dY));
  const ddx = -scale * dY;
  const ddy = scale * dX;
  // Java's (int) cast: truncation, and never -0.
  const dx = Math.trunc(ddx + (ddx > 0 ? 0.5 : -0.5)) | 0;
  const dy = Math.trunc(ddy + (ddy > 0 ? 0.5 : -0.5)) | 0;
  const x1 = 0;
  return [
    [x1 + dx, y1 + dy],
    [x1 - dx, y1 - dy],
    [width - dx, y2 - dy],
    [width + dx, y2 + dy],
  ];
}

/**
 * Fills a polygon without antialiasing, as java.awt.Graphics.fillPolygon does:
 * a pixel is painted when its centre lies inside (even-odd rule, left and top
 * edges in, right and bottom edges out). Writes the colour straight into `px`.
 */
export function fillPolygonAliased(px: Uint8ClampedArray, w: number, h: number, pts: ReadonlyArray<readonly [number, number]>, rgba: readonly number[]): void {
  const xs: number[] = [];
  for (let y = 0; y < h; y++) {
    const yc = y + 0.5;
    xs.length = 0;
    for (let i = 0; i < pts.length; i++) {
      const [x0, y0] = pts[i]!;
      const [x1, y1] = pts[(i + 1) % pts.length]!;
      if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0)) xs.push(x0 + ((yc - y0) * (x1 - x0)) / (y1 - y0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const to = Math.min(w, Math.ceil(xs[k + 1]! - 0.5));
      for (let x = from; x < to; x++) {
        const o = (y * w + x) * 4;
        px[o] = rgba[0]!;
        px[o + 1] = rgba[1]!;
        px[o + 2] = rgba[2]!;
        px[o + 3] = rgba[3]!;
      }
    }
  }
}

/** StraightLineNoiseProducer: y1, y2 uniform in 1..height; a red 4 px band from (0, y1) to (width, y2), not antialiased. */
function straightLineNoise(layer: Layer, spec: Extract<NoiseSpec, { type: 'straightLine' }>, rng: Rng): void {
  const { width: w, height: h } = layer;
  const y1 = randInt(rng, 1, h);
  const y2 = randInt(rng, 1, h);
  const corners = straightLineCorners(w, y1, y2, spec.thickness ?? 4);
  fillPolygonAliased(layer.pixels(), w, h, corners, parseColor(spec.color ?? 'red'));
}

// ---------------------------------------------------------------- gimpy

export function applyGimpy(layer: Layer, spec: GimpySpec, rng: Rng): void {
  switch (spec.type) {
    case 'ripple':
      return rippleEffect(layer, spec, rng);
    case 'fishEye':
      return fishEyeEffect(layer, spec, rng);
    case 'shear':
      return shearEffect(layer, spec, rng);
    case 'dropShadow':
      return dropShadowEffect(layer, spec);
    case 'block':
      return blockEffect(layer, spec.blockSize ?? 3);
  }
}

/** Bilinear sample of premultiplied-correct RGBA at (sx, sy), edges clamped, written to dst[o..o+3]. */
export function sampleBilinear(src: Uint8ClampedArray, w: number, h: number, sx: number, sy: number, dst: Uint8ClampedArray, o: number): void {
  let x0 = Math.floor(sx);
  let y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  let x1 = x0 + 1;
  let y1 = y0 + 1;
  if (x0 < 0) x0 = 0;
  else if (x0 >= w) x0 = w - 1;
  if (x1 < 0) x1 = 0;
  else if (x1 >= w) x1 = w - 1;
  if (y0 < 0) y0 = 0;
  else if (y0 >= h) y0 = h - 1;
  if (y1 < 0) y1 = 0;
  else if (y1 >= h) y1 = h - 1;
  const i00 = (y0 * w + x0) * 4;
  const i10 = (y0 * w + x1) * 4;
  const i01 = (y1 * w + x0) * 4;
  const i11 = (y1 * w + x1) * 4;
  const w00 = (1 - fx) * (1 - fy) * src[i00 + 3]!;
  const w10 = fx * (1 - fy) * src[i10 + 3]!;
  const w01 = (1 - fx) * fy * src[i01 + 3]!;
  const w11 = fx * fy * src[i11 + 3]!;
  const a = w00 + w10 + w01 + w11;
  if (a <= 0) {
    dst[o] = 0;
    dst[o + 1] = 0;
    dst[o + 2] = 0;
    dst[o + 3] = 0;
    return;
  }
  const inv = 1 / a;
  dst[o] = (src[i00]! * w00 + src[i10]! * w10 + src[i01]! * w01 + src[i11]! * w11) * inv;
  dst[o + 1] = (src[i00 + 1]! * w00 + src[i10 + 1]! * w10 + src[i01 + 1]! * w01 + src[i11 + 1]! * w11) * inv;
  dst[o + 2] = (src[i00 + 2]! * w00 + src[i10 + 2]! * w10 + src[i01 + 2]! * w01 + src[i11 + 2]! * w11) * inv;
  dst[o + 3] = a + 0.5;
}

/**
 * RippleGimpyRenderer as SimpleCaptcha 1.2.1 runs it: jhlabs RippleFilter,
 * sine, edge action ZERO (the default it leaves). With ZERO the filter's output
 * grows by (int) amplitude on each side, so output pixel (X, Y) is the point
 * (u, v) = (X − 2, Y − 1) moved to (u + 2.6·sin(v/15), v + 1.7·sin(u/5)); and
 * ImageUtil.applyFilter draws that output at (0, 0) over the image it came
 * from. So the rippled copy lands about 2 px right and 1 px down of the
 * unrippled text, which stays underneath.
 */
function rippleEffect(layer: Layer, spec: Extract<GimpySpec, { type: 'ripple' }>, rng: Rng): void {
  const { width: w, height: h } = layer;
  const xA = spec.xAmplitude ?? 2.6;
  const yA = spec.yAmplitude ?? 1.7;
  const xW = spec.xWavelength ?? 15;
  const yW = spec.yWavelength ?? 5;
  // SimpleCaptcha's ripple has no randomness; randomPhase adds some.
  const px0 = spec.randomPhase ? rng() * 2 * Math.PI : 0;
  const py0 = spec.randomPhase ? rng() * 2 * Math.PI : 0;
  const src = layer.snapshot();
  const dst = layer.pixels();
  if (spec.overOriginal === false) {
    const dx = new Float32Array(h);
    const dy = new Float32Array(w);
    for (let y = 0; y < h; y++) dx[y] = xA * Math.sin(y / xW + px0);
    for (let x = 0; x < w; x++) dy[x] = yA * Math.sin(x / yW + py0);
    for (let y = 0; y < h; y++) {
      const ox = dx[y]!;
      for (let x = 0; x < w; x++) sampleBilinear(src, w, h, x + ox, y + dy[x]!, dst, (y * w + x) * 4);
    }
    return;
  }
  const rippled = layer.spare();
  applyRippleMap(rippleMap(w, h, { xA, yA, xW, yW, px0, py0 }), src, rippled);
  compositeOver(dst, rippled);
}

function fishEyeEffect(layer: Layer, spec: Extract<GimpySpec, { type: 'fishEye' }>, rng: Rng): void {
  const { width: w, height: h } = layer;
  const ctx = layer.context();
  const hspace = spec.spacing ?? Math.floor(h / (Math.floor(h / 7) + 1));
  const vspace = spec.spacing ?? Math.floor(w / (Math.floor(w / 7) + 1));
  ctx.save();
  ctx.fillStyle = spec.hColor ?? 'black';
  for (let i = hspace; i < h; i += hspace) ctx.fillRect(0, i, w, 1);
  ctx.fillStyle = spec.vColor ?? 'black';
  for (let i = vspace; i < w; i += vspace) ctx.fillRect(i, 0, 1, h);
  ctx.restore();
  const distance = randInt(rng, Math.floor(w / 4), Math.floor(w / 3));
  const src = layer.snapshot();
  const dst = layer.pixels();
  applyFishEyeMap(fishEyeMap(w, h, distance), src, dst);
}

function shearEffect(layer: Layer, spec: Extract<GimpySpec, { type: 'shear' }>, rng: Rng): void {
  const { width: w, height: h } = layer;
  const [cr, cg, cb, ca] = parseColor(spec.color ?? 'gray');
  const px = layer.pixels();
  const fill = (o: number) => {
    px[o] = cr;
    px[o + 1] = cg;
    px[o + 2] = cb;
    px[o + 3] = ca;
  };
  const frames = 15;
  const k = spec.scale ?? 1;
  // shearX: each row moves sideways by a sine of its index (java.awt copyArea semantics:
  // the vacated pixels keep their old values, then the gap line is drawn over them).
  // ShearGimpyRenderer.shearX: period 5..14, phase 2..6 (of 15 frames).
  const periodX = randInt(rng, 5, 14);
  const phaseX = randInt(rng, 2, 6);
  const row = new Uint8ClampedArray(w * 4);
  for (let y = 0; y < h; y++) {
    const d = Math.trunc(k * (periodX >> 1) * Math.sin(y / periodX + (2 * Math.PI * phaseX) / frames));
    const base = y * w * 4;
    if (d !== 0) {
      row.set(px.subarray(base, base + w * 4));
      for (let x = 0; x < w; x++) {
        const nx = x + d;
        if (nx >= 0 && nx < w) px.set(row.subarray(x * 4, x * 4 + 4), base + nx * 4);
      }
    }
    // drawLine(d, y, 0, y) and drawLine(d + w, y, w, y), endpoints included.
    for (let x = Math.min(0, d); x <= Math.max(0, d); x++) if (x >= 0 && x < w) fill(base + x * 4);
    for (let x = Math.min(w + d, w); x <= Math.max(w + d, w); x++) if (x >= 0 && x < w) fill(base + x * 4);
  }
  const periodY = randInt(rng, 10, 39);
  const phaseY = 7;
  const col = new Uint8ClampedArray(h * 4);
  for (let x = 0; x < w; x++) {
    const d = Math.trunc(k * (periodY >> 1) * Math.sin(x / periodY + (2 * Math.PI * phaseY) / frames));
    if (d !== 0) {
      for (let y = 0; y < h; y++) col.set(px.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), y * 4);
      for (let y = 0; y < h; y++) {
        const ny = y + d;
        if (ny >= 0 && ny < h) px.set(col.subarray(y * 4, y * 4 + 4), (ny * w + x) * 4);
      }
    }
    for (let y = Math.min(0, d); y <= Math.max(0, d); y++) if (y >= 0 && y < h) fill((y * w + x) * 4);
    for (let y = Math.min(h + d, h); y <= Math.max(h + d, h); y++) if (y >= 0 && y < h) fill((y * w + x) * 4);
  }
}

/** Separable Gaussian blur of a float plane (jhlabs GaussianFilter: sigma = radius / 3). */
function gaussianBlur(plane: Float32Array, w: number, h: number, radius: number): Float32Array {
  const r = Math.ceil(radius);
  if (r <= 0) return plane;
  const sigma = radius / 3;
  const kernel = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) {
        const xx = x + k < 0 ? 0 : x + k >= w ? w - 1 : x + k;
        acc += plane[y * w + xx]! * kernel[k + r]!;
      }
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let k = -r; k <= r; k++) {
        const yy = y + k < 0 ? 0 : y + k >= h ? h - 1 : y + k;
        acc += tmp[yy * w + x]! * kernel[k + r]!;
      }
      out[y * w + x] = acc;
    }
  }
  return out;
}

function dropShadowEffect(layer: Layer, spec: Extract<GimpySpec, { type: 'dropShadow' }>): void {
  const { width: w, height: h } = layer;
  const radius = spec.radius ?? 3;
  // SimpleCaptcha passes 75 (percent) to a 0..1 setter; 0.75 is what it means.
  const opacity = spec.opacity ?? 0.75;
  const distance = spec.distance ?? 5;
  const angle = ((spec.angle ?? 270) * Math.PI) / 180;
  const [sr, sg, sb] = parseColor(spec.color ?? 'black');
  const ox = Math.round(distance * Math.cos(angle));
  const oy = Math.round(-distance * Math.sin(angle));
  const px = layer.pixels();
  const alpha = new Float32Array(w * h);
  for (let i = 0; i < alpha.length; i++) alpha[i] = px[i * 4 + 3]! / 255;
  const blurred = gaussianBlur(alpha, w, h, radius);
  for (let y = 0; y < h; y++) {
    const syy = y - oy;
    for (let x = 0; x < w; x++) {
      const sxx = x - ox;
      const shA = sxx >= 0 && sxx < w && syy >= 0 && syy < h ? blurred[syy * w + sxx]! * opacity : 0;
      if (shA <= 0) continue;
      const o = (y * w + x) * 4;
      const a = px[o + 3]! / 255;
      const sh = shA * (1 - a);
      const oa = a + sh;
      if (oa <= 0) continue;
      px[o] = (px[o]! * a + sr * sh) / oa;
      px[o + 1] = (px[o + 1]! * a + sg * sh) / oa;
      px[o + 2] = (px[o + 2]! * a + sb * sh) / oa;
      px[o + 3] = oa * 255 + 0.5;
    }
  }
}

function blockEffect(layer: Layer, size: number): void {
  if (!(size >= 1)) throw new Error(`block size must be >= 1, got ${size}`);
  const { width: w, height: h } = layer;
  const px = layer.pixels();
  for (let by = 0; by < h; by += size) {
    for (let bx = 0; bx < w; bx += size) {
      const ey = Math.min(by + size, h);
      const ex = Math.min(bx + size, w);
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      let n = 0;
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const o = (y * w + x) * 4;
          const pa = px[o + 3]!;
          r += px[o]! * pa;
          g += px[o + 1]! * pa;
          b += px[o + 2]! * pa;
          a += pa;
          n++;
        }
      }
      const ar = a > 0 ? r / a : 0;
      const ag = a > 0 ? g / a : 0;
      const ab = a > 0 ? b / a : 0;
      const aa = a / n;
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const o = (y * w + x) * 4;
          px[o] = ar;
          px[o + 1] = ag;
          px[o + 2] = ab;
          px[o + 3] = aa;
        }
      }
    }
  }
}
