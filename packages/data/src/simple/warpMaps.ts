/**
 * The sampling maps of SimpleCaptcha's ripple and fish-eye, computed once per
 * image size (and fish-eye radius) instead of once per captcha: neither depends
 * on the image's pixels, and at 200×50 the trigonometry and square roots were
 * most of their cost. Applying a map gives the same bytes as computing it
 * inline (warpMaps.test.ts checks them against the formulas).
 */
import { boundedCache } from './boundedCache';

/** Where each output pixel of the ripple samples: four source pixel indices (`nw` −1 when outside) and the weights. */
export interface RippleMap {
  nw: Int32Array;
  ne: Int32Array;
  sw: Int32Array;
  se: Int32Array;
  fx: Float64Array;
  fy: Float64Array;
}

/** Output pixel `to[k]` takes source pixel `from[k]`; others are left alone. */
export interface FishEyeMap {
  to: Int32Array;
  from: Int32Array;
}

const rippleCache = boundedCache<RippleMap>();
const fishEyeCache = boundedCache<FishEyeMap>();

export interface RippleParams {
  xA: number;
  yA: number;
  xW: number;
  yW: number;
  /** Phases; a map with nonzero phases (random per captcha) is not cached. */
  px0: number;
  py0: number;
}

/**
 * jhlabs RippleFilter's sampling, edge action ZERO, as SimpleCaptcha 1.2.1 runs it (see `rippleEffect`):
 * output (X, Y) reads (u + xA·sin(v/xW), v + yA·sin(u/yW)) with (u, v) = (X − ⌊xA⌋, Y − ⌊yA⌋), in float32 as jhlabs.
 */
export function rippleMap(w: number, h: number, p: RippleParams): RippleMap {
  const make = () => buildRippleMap(w, h, p);
  if (p.px0 !== 0 || p.py0 !== 0) return make();
  return rippleCache(`${w}x${h}:${p.xA},${p.yA},${p.xW},${p.yW}`, make);
}

function buildRippleMap(w: number, h: number, { xA, yA, xW, yW, px0, py0 }: RippleParams): RippleMap {
  const offX = Math.trunc(xA);
  const offY = Math.trunc(yA);
  const dx = new Float32Array(h);
  const dy = new Float32Array(w);
  for (let y = 0; y < h; y++) dx[y] = Math.fround(xA * Math.fround(Math.sin(Math.fround((y - offY) / xW) + px0)));
  for (let x = 0; x < w; x++) dy[x] = Math.fround(yA * Math.fround(Math.sin(Math.fround((x - offX) / yW) + py0)));
  const n = w * h;
  const m: RippleMap = {
    nw: new Int32Array(n).fill(-1),
    ne: new Int32Array(n),
    sw: new Int32Array(n),
    se: new Int32Array(n),
    fx: new Float64Array(n),
    fy: new Float64Array(n),
  };
  for (let y = 0; y < h; y++) {
    const v = y - offY;
    for (let x = 0; x < w; x++) {
      const sx = Math.fround(x - offX + dx[y]!);
      const sy = Math.fround(v + dy[x]!);
      const x0 = Math.trunc(sx);
      const y0 = Math.trunc(sy);
      if (sx < 0 || x0 >= w || sy < 0 || y0 >= h) continue;
      const k = y * w + x;
      const nw = y0 * w + x0;
      const ne = nw + (x0 === w - 1 ? 0 : 1);
      const sw = nw + (y0 === h - 1 ? 0 : w);
      m.nw[k] = nw;
      m.ne[k] = ne;
      m.sw[k] = sw;
      m.se[k] = sw + (ne - nw);
      m.fx[k] = Math.fround(sx - x0);
      m.fy[k] = Math.fround(sy - y0);
    }
  }
  return m;
}

/**
 * Writes the rippled copy of `src` into `out` (both RGBA, `out` cleared first), as SimpleCaptcha's bundled jhlabs
 * TransformFilter (the ImageFilter-based one in lib/imaging.jar) with edge action ZERO: a source point off the
 * image gives transparent black; otherwise the pixel at the truncated point and its right/lower neighbours (itself
 * on the last column/row) are interpolated, each of A, R, G, B on its own (not premultiplied), truncated.
 * Output pixels whose four sources are all transparent black stay zero without the arithmetic (it would give zero).
 */
export function applyRippleMap(m: RippleMap, src: Uint8ClampedArray, out: Uint8ClampedArray): void {
  out.fill(0);
  const s32 = words(src);
  const { nw, ne, sw, se, fx, fy } = m;
  for (let k = 0; k < nw.length; k++) {
    const a = nw[k]!;
    if (a < 0) continue;
    const b = ne[k]!;
    const c = sw[k]!;
    const d = se[k]!;
    if ((s32[a]! | s32[b]! | s32[c]! | s32[d]!) === 0) continue;
    const wx = fx[k]!;
    const wy = fy[k]!;
    const o = k * 4;
    for (let ch = 0; ch < 4; ch++) {
      const top = (1 - wx) * src[a * 4 + ch]! + wx * src[b * 4 + ch]!;
      const bottom = (1 - wx) * src[c * 4 + ch]! + wx * src[d * 4 + ch]!;
      out[o + ch] = Math.trunc((1 - wy) * top + wy * bottom);
    }
  }
}

/** FishEyeGimpyRenderer's bulge of radius `distance` about the image's middle: each moved pixel's source. */
export function fishEyeMap(w: number, h: number, distance: number): FishEyeMap {
  return fishEyeCache(`${w}x${h}:${distance}`, () => buildFishEyeMap(w, h, distance));
}

function buildFishEyeMap(w: number, h: number, distance: number): FishEyeMap {
  const to: number[] = [];
  const from: number[] = [];
  const wMid = w >> 1;
  const hMid = h >> 1;
  for (let y = 0; y < h; y++) {
    const ry = y - hMid;
    for (let x = 0; x < w; x++) {
      const rx = x - wMid;
      const d1 = Math.sqrt(rx * rx + ry * ry);
      if (d1 >= distance || d1 === 0) continue;
      const s = d1 / distance;
      const k = ((-0.75 * s * s * s + 1.5 * s * s + 0.25 * s) * distance) / d1;
      const sx = wMid + Math.trunc(k * rx);
      const sy = hMid + Math.trunc(k * ry);
      if (sx < 0 || sx >= w || sy < 0 || sy >= h) continue;
      to.push(y * w + x);
      from.push(sy * w + sx);
    }
  }
  return { to: Int32Array.from(to), from: Int32Array.from(from) };
}

/** Copies each mapped pixel of `src` into `dst` (RGBA, whole pixels). */
export function applyFishEyeMap(m: FishEyeMap, src: Uint8ClampedArray, dst: Uint8ClampedArray): void {
  const { to, from } = m;
  if (dst.byteOffset % 4 !== 0) {
    for (let k = 0; k < to.length; k++) dst.set(src.subarray(from[k]! * 4, from[k]! * 4 + 4), to[k]! * 4);
    return;
  }
  const s32 = words(src);
  const d32 = words(dst);
  for (let k = 0; k < to.length; k++) d32[to[k]!] = s32[from[k]!]!;
}

/**
 * RGBA bytes as one 32-bit word per pixel (byte order does not matter: words are only copied or compared with 0).
 * A buffer at an odd offset is read through a copy; writers check the offset first.
 */
function words(px: Uint8ClampedArray): Uint32Array {
  if (px.byteOffset % 4 !== 0) return new Uint32Array(px.slice().buffer);
  return new Uint32Array(px.buffer, px.byteOffset, px.length >> 2);
}
