import { createCanvas, loadImage, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { readFile } from 'node:fs/promises';
import { luma, parseColor, type ImageBuffer, type RGBA } from '../image';
import { fittedBox } from '../fit';
import { checkPolarity, lightenBackground, type PixelBox, type Polarity } from '../polarity';
import { checkMaxImageSize, ImageDecodeError, inspectImage } from './imageInfo';

/** Which channels to keep: gray (BT.601 luma), rgb, rgba, or one channel by name or index (the seed used one). */
export type ChannelSelection = 'gray' | 'rgb' | 'rgba' | 'r' | 'g' | 'b' | 'a' | 0 | 1 | 2 | 3;

export interface DecodeOptions {
  /** Default 'gray'. */
  channels?: ChannelSelection;
  /** Target size; required for fit 'resize' / 'pad'. */
  size?: { width: number; height: number };
  /**
   * How an image of another size becomes `size`:
   * - 'none' (default): keep the image's own size;
   * - 'contain': never stretched, never enlarged: an image larger than `size` (either side) is shrunk by one factor,
   *   aspect ratio kept, until it fits; it is then centred on a `size` matte (see fit.ts);
   * - 'scale': as 'contain', but a smaller image is enlarged too, until one side fills `size`
   *   (TensorFlow's `tf.image.resize_with_pad`, with a white matte);
   * - 'pad': placed top-left on a `size` matte (an image larger than `size` is an error);
   * - 'resize': scaled (bilinear) to exactly `size`, stretching when the aspect ratio differs.
   */
  fit?: 'none' | 'contain' | 'scale' | 'resize' | 'pad';
  /** Colour behind transparent pixels and padding (default white). */
  matte?: RGBA | string;
  /** 'light': an image with a dark background is inverted, its padding not (see polarity.ts). Default 'keep'. */
  polarity?: Polarity;
  /**
   * Largest image accepted, read from the header before decoding (default
   * 4096x4096, DEFAULT_MAX_IMAGE_SIZE). A bigger one is an ImageDecodeError
   * of kind 'too-large', against decompression bombs.
   */
  maxImageSize?: { width: number; height: number };
  /** Names the input in error messages, e.g. the file path (default '<image bytes>'). */
  name?: string;
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

// Canvases reused per size; only small ones are kept (at most CACHE_PIXELS in
// all), so a folder of large images of varied sizes does not pin their memory.
const CACHE_PIXELS = 4 * 1024 * 1024;
const canvases = new Map<string, { canvas: Canvas; ctx: SKRSContext2D; pixels: number }>();
let cachedPixels = 0;
function canvasOf(width: number, height: number) {
  const key = `${width}x${height}`;
  let c = canvases.get(key);
  if (!c) {
    const canvas = createCanvas(width, height);
    c = { canvas, ctx: canvas.getContext('2d'), pixels: width * height };
    if (c.pixels <= CACHE_PIXELS / 4) {
      if (cachedPixels + c.pixels > CACHE_PIXELS || canvases.size >= 16) {
        canvases.clear();
        cachedPixels = 0;
      }
      canvases.set(key, c);
      cachedPixels += c.pixels;
    }
  }
  return c;
}

/**
 * Decodes PNG, JPEG, GIF (first frame), BMP or WebP bytes with skia and
 * returns the selected channels.
 *
 * The header is read first (`inspectImage`): an image larger than
 * `maxImageSize` (default 4096x4096) is rejected before any pixel is
 * allocated, and a truncated or structurally corrupt file is an error, never
 * a half-decoded picture. Bad input throws an ImageDecodeError whose message
 * starts with `name` and whose `kind` says why ('empty', 'truncated',
 * 'too-large', 'not-an-image', 'corrupt'). Bad options (an image bigger than
 * `size` with fit 'pad', `fit` without `size`) throw a plain Error.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<ImageBuffer<Uint8Array>> {
  const sel = checkChannels(opts.channels ?? 'gray');
  const polarity = checkPolarity(opts.polarity ?? 'keep');
  const fit = opts.fit ?? 'none';
  const name = opts.name ?? '<image bytes>';
  const max = checkMaxImageSize(opts.maxImageSize);
  if (fit !== 'none') {
    const s = opts.size;
    if (!s) throw new Error(`fit '${fit}' needs a target size`);
    if (!(Number.isInteger(s.width) && Number.isInteger(s.height) && s.width > 0 && s.height > 0))
      throw new Error(`size must be positive integers, got ${JSON.stringify(s)}`);
    if (s.width > max.width || s.height > max.height) throw new Error(`size ${s.width}x${s.height} is larger than maxImageSize ${max.width}x${max.height}`);
  }
  const info = inspectImage(bytes, { name, maxImageSize: max });
  let img: Awaited<ReturnType<typeof loadImage>>;
  try {
    img = await loadImage(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new ImageDecodeError(name, 'corrupt', `corrupt ${info.format.toUpperCase()}: the decoder failed (${(e as Error).message})`);
  }
  const iw = img.width;
  const ih = img.height;
  // The decoder may apply a JPEG's EXIF orientation, which swaps the sides.
  const asHeader = (iw === info.width && ih === info.height) || (iw === info.height && ih === info.width);
  if (!asHeader)
    throw new ImageDecodeError(
      name,
      'corrupt',
      `corrupt ${info.format.toUpperCase()}: the decoder saw ${iw}x${ih}, the header says ${info.width}x${info.height}`,
    );
  const w = fit === 'none' ? iw : opts.size!.width;
  const h = fit === 'none' ? ih : opts.size!.height;
  if (fit === 'pad' && (iw > w || ih > h))
    throw new ImageDecodeError(name, 'too-large', `image is ${iw}x${ih}, larger than the pad size ${w}x${h}; use fit 'contain'`);
  const { ctx } = canvasOf(w, h);
  const keepAlpha = sel === 'rgba' || sel === 'a' || sel === 3;
  if (keepAlpha && polarity !== 'keep')
    throw new Error(`polarity '${polarity}' judges the background over the matte, so it needs channels without alpha (got ${sel})`);
  ctx.clearRect(0, 0, w, h);
  if (!keepAlpha) {
    const m = typeof opts.matte === 'string' ? parseColor(opts.matte) : (opts.matte ?? [255, 255, 255, 255]);
    ctx.fillStyle = `rgb(${m[0]},${m[1]},${m[2]})`;
    ctx.fillRect(0, 0, w, h);
  }
  // Where the image lies on the canvas; the rest is matte.
  let drawn: PixelBox = { x: 0, y: 0, width: w, height: h };
  if (fit === 'resize' || fit === 'contain' || fit === 'scale') {
    drawn = fittedBox(iw, ih, w, h, fit);
    ctx.drawImage(img, drawn.x, drawn.y, drawn.width, drawn.height);
  } else {
    ctx.drawImage(img, 0, 0);
    drawn = { x: 0, y: 0, width: iw, height: ih };
  }
  const rgba = ctx.getImageData(0, 0, w, h).data;
  if (polarity === 'light') lightenBackground(rgba, w, 4, drawn);
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
    for (let i = 0; i < n; i++) out[i] = luma(rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!);
  } else {
    const c = typeof sel === 'number' ? sel : CHANNEL_INDEX[sel]!;
    for (let i = 0; i < n; i++) out[i] = rgba[i * 4 + c]!;
  }
  return { data: out, width: w, height: h, channels };
}

/**
 * Reads and decodes an image file (see `decodeImage`); every error is an
 * ImageDecodeError naming the path: 'unreadable' when the file cannot be
 * read, 'empty' for 0 bytes, and the decode problems.
 */
export async function decodeImageFile(path: string, opts: Omit<DecodeOptions, 'name'> = {}): Promise<ImageBuffer<Uint8Array>> {
  return decodeImage(await readImageFile(path), { ...opts, name: path });
}

/** A file's bytes, or an ImageDecodeError of kind 'unreadable' naming the path. */
export async function readImageFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ImageDecodeError(path, 'unreadable', `cannot read the file (${err.code ?? err.message})`);
  }
}
