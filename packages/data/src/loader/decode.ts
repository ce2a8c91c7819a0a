import { createCanvas, loadImage, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { parseColor, type ImageBuffer, type RGBA } from '../image';

/** Which channels to keep: gray (BT.601 luma), rgb, rgba, or one channel by name or index (the seed used one). */
export type ChannelSelection = 'gray' | 'rgb' | 'rgba' | 'r' | 'g' | 'b' | 'a' | 0 | 1 | 2 | 3;

export interface DecodeOptions {
  /** Default 'gray'. */
  channels?: ChannelSelection;
  /** Target size; required for fit 'resize' / 'pad'. */
  size?: { width: number; height: number };
  /** 'none' (default): keep the size; 'resize': scale (bilinear) to `size`; 'pad': place top-left on a `size` matte. */
  fit?: 'none' | 'resize' | 'pad';
  /** Colour behind transparent pixels and padding (default white). */
  matte?: RGBA | string;
}

/** Number of channels a selection yields. */
export function channelCount(sel: ChannelSelection = 'gray'): number {
  return sel === 'rgb' ? 3 : sel === 'rgba' ? 4 : 1;
}

const CHANNEL_INDEX: Record<string, number> = { r: 0, g: 1, b: 2, a: 3 };

export function checkChannels(sel: unknown): ChannelSelection {
  const ok = ['gray', 'rgb', 'rgba', 'r', 'g', 'b', 'a', 0, 1, 2, 3];
  if (!ok.includes(sel as never)) throw new Error(`channels must be one of gray, rgb, rgba, r, g, b, a, 0..3; got ${JSON.stringify(sel)}`);
  return sel as ChannelSelection;
}

const canvases = new Map<string, { canvas: Canvas; ctx: SKRSContext2D }>();
function canvasOf(width: number, height: number) {
  const key = `${width}x${height}`;
  let c = canvases.get(key);
  if (!c) {
    if (canvases.size > 16) canvases.clear();
    const canvas = createCanvas(width, height);
    c = { canvas, ctx: canvas.getContext('2d') };
    canvases.set(key, c);
  }
  return c;
}

/** Largest side accepted, against decompression bombs and garbage headers. */
export const MAX_IMAGE_SIDE = 16384;

/**
 * Decodes PNG, JPEG, GIF (first frame), BMP or WebP bytes with skia and
 * returns the selected channels. Throws an Error on undecodable input, an
 * image bigger than `size` with fit 'pad', or `fit` without `size`.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<ImageBuffer<Uint8Array>> {
  const sel = checkChannels(opts.channels ?? 'gray');
  const fit = opts.fit ?? 'none';
  if (fit !== 'none' && !opts.size) throw new Error(`fit '${fit}' needs a target size`);
  const img = await loadImage(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const iw = img.width;
  const ih = img.height;
  if (!(iw > 0 && ih > 0)) throw new Error('not a decodable image');
  if (iw > MAX_IMAGE_SIDE || ih > MAX_IMAGE_SIDE) throw new Error(`image is ${iw}x${ih}, larger than ${MAX_IMAGE_SIDE} on a side`);
  const w = fit === 'none' ? iw : opts.size!.width;
  const h = fit === 'none' ? ih : opts.size!.height;
  if (fit === 'pad' && (iw > w || ih > h)) throw new Error(`image is ${iw}x${ih}, larger than the pad size ${w}x${h}; use fit 'resize'`);
  const { ctx } = canvasOf(w, h);
  const keepAlpha = sel === 'rgba' || sel === 'a' || sel === 3;
  ctx.clearRect(0, 0, w, h);
  if (!keepAlpha) {
    const m = typeof opts.matte === 'string' ? parseColor(opts.matte) : (opts.matte ?? [255, 255, 255, 255]);
    ctx.fillStyle = `rgb(${m[0]},${m[1]},${m[2]})`;
    ctx.fillRect(0, 0, w, h);
  }
  if (fit === 'resize') ctx.drawImage(img, 0, 0, w, h);
  else ctx.drawImage(img, 0, 0);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const n = w * h;
  const channels = channelCount(sel);
  const out = new Uint8Array(n * channels);
  if (sel === 'rgba') out.set(rgba);
  else if (sel === 'rgb') {
    for (let i = 0; i < n; i++) {
      out[i * 3] = rgba[i * 4]!;
      out[i * 3 + 1] = rgba[i * 4 + 1]!;
      out[i * 3 + 2] = rgba[i * 4 + 2]!;
    }
  } else if (sel === 'gray') {
    for (let i = 0; i < n; i++) out[i] = (299 * rgba[i * 4]! + 587 * rgba[i * 4 + 1]! + 114 * rgba[i * 4 + 2]! + 500) / 1000;
  } else {
    const c = typeof sel === 'number' ? sel : CHANNEL_INDEX[sel]!;
    for (let i = 0; i < n; i++) out[i] = rgba[i * 4 + c]!;
  }
  return { data: out, width: w, height: h, channels };
}
