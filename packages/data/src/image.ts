import { canvasFactory, type Context2D } from './canvas';

/** Pixel layouts a sample can be returned in. */
export type PixelFormat = 'gray' | 'rgb' | 'rgba';

/**
 * Interleaved (HWC) pixels of one image. `Uint8Array` holds 0..255; a
 * `Float32Array` holds whatever normalisation produced (0..1 by default).
 */
export interface ImageBuffer<T extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  data: T;
  width: number;
  height: number;
  channels: number;
}

/** RGB(A) colour, 0..255 per channel. */
export type RGBA = [number, number, number, number];

/** How float pixels are produced from bytes. 'unit': x/255; 'none': x; mean/std: (x/255 - mean)/std per channel. */
export type Normalization = 'unit' | 'none' | { mean: number | number[]; std: number | number[] };

const colorCache = new Map<string, RGBA>();
let colorCtx: Context2D | null = null;

/** Parses any CSS colour (the canvas parses it); throws on an invalid one. */
export function parseColor(color: string): RGBA {
  const hit = colorCache.get(color);
  if (hit) return hit;
  if (!colorCtx) colorCtx = canvasFactory().createCanvas(1, 1).getContext('2d');
  const ctx = colorCtx;
  // An invalid colour leaves fillStyle unchanged: detect it with two different sentinels.
  ctx.fillStyle = '#010203';
  ctx.fillStyle = color;
  const a = String(ctx.fillStyle);
  ctx.fillStyle = '#040506';
  ctx.fillStyle = color;
  const b = String(ctx.fillStyle);
  if (a !== b) throw new Error(`invalid colour '${color}'`);
  ctx.clearRect(0, 0, 1, 1);
  ctx.fillRect(0, 0, 1, 1);
  const d = ctx.getImageData(0, 0, 1, 1).data;
  const rgba: RGBA = [d[0]!, d[1]!, d[2]!, d[3]!];
  colorCache.set(color, rgba);
  return rgba;
}

/** BT.601 luma of 8-bit R, G, B, rounded to a whole byte: the gray every loader and check uses. */
export function luma(r: number, g: number, b: number): number {
  return Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/**
 * Converts unpremultiplied RGBA bytes to `format`, flattening transparency
 * onto `matte` (white by default) for 'gray' and 'rgb'. Gray is BT.601 luma.
 */
export function fromRGBA(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  format: PixelFormat = 'gray',
  matte: RGBA | string = [255, 255, 255, 255],
): ImageBuffer<Uint8Array> {
  const n = width * height;
  if (rgba.length !== n * 4) throw new Error(`expected ${n * 4} RGBA bytes for ${width}x${height}, got ${rgba.length}`);
  if (format === 'rgba') return { data: new Uint8Array(rgba), width, height, channels: 4 };
  const m = typeof matte === 'string' ? parseColor(matte) : matte;
  const channels = format === 'gray' ? 1 : 3;
  const out = new Uint8Array(n * channels);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const a = rgba[j + 3]!;
    let r = rgba[j]!;
    let g = rgba[j + 1]!;
    let b = rgba[j + 2]!;
    if (a !== 255) {
      const ia = 255 - a;
      r = (r * a + m[0] * ia + 127) / 255;
      g = (g * a + m[1] * ia + 127) / 255;
      b = (b * a + m[2] * ia + 127) / 255;
    }
    if (channels === 1) {
      out[i] = luma(r, g, b);
    } else {
      out[i * 3] = r;
      out[i * 3 + 1] = g;
      out[i * 3 + 2] = b;
    }
  }
  return { data: out, width, height, channels };
}

/** Expands an image to RGBA bytes (gray → r=g=b; float data is taken as 0..1). */
export function toRGBA(image: ImageBuffer): Uint8ClampedArray {
  const { data, width, height, channels } = image;
  const n = width * height;
  if (data.length !== n * channels) throw new Error(`image data has ${data.length} values, expected ${n * channels}`);
  const out = new Uint8ClampedArray(n * 4);
  const scale = data instanceof Float32Array ? 255 : 1;
  for (let i = 0; i < n; i++) {
    const s = i * channels;
    const o = i * 4;
    if (channels === 1) {
      const v = data[s]! * scale;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
      out[o + 3] = 255;
    } else if (channels === 3 || channels === 4) {
      out[o] = data[s]! * scale;
      out[o + 1] = data[s + 1]! * scale;
      out[o + 2] = data[s + 2]! * scale;
      out[o + 3] = channels === 4 ? data[s + 3]! * scale : 255;
    } else {
      throw new Error(`cannot convert ${channels}-channel image to RGBA`);
    }
  }
  return out;
}

function perChannel(v: number | number[], c: number, what: string): number {
  if (typeof v === 'number') return v;
  if (v.length === 1) return v[0]!;
  if (v.length !== c) throw new Error(`normalisation ${what} has ${v.length} values for ${c} channels`);
  return v[c]!;
}

/** Normalises byte pixels into `out` (or a new Float32Array) at `offset`. */
export function normalizeInto(
  src: Uint8Array,
  channels: number,
  normalization: Normalization,
  out: Float32Array = new Float32Array(src.length),
  offset = 0,
): Float32Array {
  if (normalization === 'none') {
    for (let i = 0; i < src.length; i++) out[offset + i] = src[i]!;
  } else if (normalization === 'unit') {
    const k = 1 / 255;
    for (let i = 0; i < src.length; i++) out[offset + i] = src[i]! * k;
  } else {
    const mean: number[] = [];
    const inv: number[] = [];
    for (let c = 0; c < channels; c++) {
      mean.push(perChannel(normalization.mean, c, 'mean'));
      const s = perChannel(normalization.std, c, 'std');
      if (!(s > 0)) throw new Error(`normalisation std must be > 0, got ${s}`);
      inv.push(1 / s);
    }
    for (let i = 0; i < src.length; i++) {
      const c = i % channels;
      out[offset + i] = (src[i]! / 255 - mean[c]!) * inv[c]!;
    }
  }
  return out;
}

/** A float copy of an image with the given normalisation. */
export function normalizeImage(image: ImageBuffer<Uint8Array>, normalization: Normalization = 'unit'): ImageBuffer<Float32Array> {
  return { ...image, data: normalizeInto(image.data, image.channels, normalization) };
}
