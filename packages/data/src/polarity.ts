/**
 * Image polarity: dark ink on a light background, or light ink on a dark one.
 *
 * Some schemes draw both: Gregwar/Captcha negates half its captchas. A
 * model then needs filters for each polarity, from half the examples of
 * each. `'light'` inverts every image whose background is dark, so the model
 * sees one polarity; it is saved with the model, so reading does the same.
 *
 * The background is what lies near the edge: an image's is dark when the
 * median luma (BT.601) of a ring BORDER pixels wide is below mid-grey. Text
 * rarely reaches the edge, and lines crossing it are thin, so the median is
 * the background's. The ring lies a 24th of the height inside the edge, past
 * the 1 px frame that many schemes draw (SimpleCaptcha's border,
 * GD::SecurityImage's default frame), however the image was scaled: judged on
 * the outermost pixels, every framed captcha looked dark.
 */
import { type ImageBuffer, luma } from './image';
import { mapImages, type ImageSource } from './pipeline';

/** 'keep': images as they come; 'light': an image with a dark background is inverted. */
export type Polarity = 'keep' | 'light';

export const POLARITIES: readonly Polarity[] = ['keep', 'light'];

/** Width of the ring whose median luma is the background's. */
const BORDER = 2;
/** The ring's depth inside the edge, as a fraction of the height: past a frame drawn round the image. */
const FRAME = 1 / 24;

/** A rectangle of an image, in pixels. */
export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function checkPolarity(p: unknown): Polarity {
  if (!POLARITIES.includes(p as Polarity)) throw new Error(`polarity must be one of ${POLARITIES.join(', ')}; got ${JSON.stringify(p)}`);
  return p as Polarity;
}

/**
 * Whether the background of `box` (default: the whole image) is dark: the
 * median luma of its ring, inside any frame, below 128. `data` is interleaved, 1 (gray),
 * 3 (RGB) or 4 (RGBA; alpha ignored) channels, `width` pixels a row.
 */
export function hasDarkBackground(data: Uint8Array | Uint8ClampedArray, width: number, channels: number, box: PixelBox): boolean {
  const hist = new Uint32Array(256);
  let n = 0;
  const grey = channels >= 3 ? (o: number) => luma(data[o]!, data[o + 1]!, data[o + 2]!) : (o: number) => data[o]!;
  // A box too small to have a ring inside its frame is judged by its outermost pixels.
  const depth = Math.ceil(box.height * FRAME);
  const inset = Math.min(box.width, box.height) > 2 * (depth + BORDER) ? depth : 0;
  const x0 = box.x + inset;
  const y0 = box.y + inset;
  const w = box.width - 2 * inset;
  const h = box.height - 2 * inset;
  const ring = Math.min(BORDER, Math.ceil(w / 2), Math.ceil(h / 2));
  for (let y = y0; y < y0 + h; y++) {
    const edgeRow = y < y0 + ring || y >= y0 + h - ring;
    for (let x = x0; x < x0 + w; x++) {
      if (!edgeRow && x >= x0 + ring && x < x0 + w - ring) x = x0 + w - ring;
      hist[grey((y * width + x) * channels)]!++;
      n++;
    }
  }
  // The lower median: below 128 means at least half the ring is darker than mid-grey.
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[v]!;
    if (seen * 2 >= n) return v < 128;
  }
  return false;
}

/**
 * Inverts the colour channels (not alpha) of `box` in place when its
 * background is dark (`hasDarkBackground`); returns whether it did.
 */
export function lightenBackground(
  data: Uint8Array | Uint8ClampedArray,
  width: number,
  channels: number,
  box: PixelBox = { x: 0, y: 0, width, height: data.length / channels / width },
): boolean {
  if (!hasDarkBackground(data, width, channels, box)) return false;
  invertColours(data, width, channels, box);
  return true;
}

/**
 * The image with `polarity` applied: the same buffer for 'keep' or a light background, else an inverted copy.
 * `box` is where the picture lies when it was fitted onto a matte (default: the whole image); only it is judged and inverted.
 */
export function withPolarity(
  img: ImageBuffer<Uint8Array>,
  polarity: Polarity,
  box: PixelBox = { x: 0, y: 0, width: img.width, height: img.height },
): ImageBuffer<Uint8Array> {
  if (polarity === 'keep' || !hasDarkBackground(img.data, img.width, img.channels, box)) return img;
  const data = new Uint8Array(img.data);
  invertColours(data, img.width, img.channels, box);
  return { ...img, data };
}

/** The source with `polarity` applied to every image (the source itself for 'keep'). */
export function polaritySource(source: ImageSource, polarity: Polarity): ImageSource {
  return polarity === 'keep' ? source : mapImages(source, (image) => withPolarity(image, polarity));
}

function invertColours(data: Uint8Array | Uint8ClampedArray, width: number, channels: number, box: PixelBox): void {
  const colour = Math.min(channels, 3);
  for (let y = box.y; y < box.y + box.height; y++) {
    for (let o = (y * width + box.x) * channels, end = o + box.width * channels; o < end; o += channels) {
      for (let c = 0; c < colour; c++) data[o + c] = 255 - data[o + c]!;
    }
  }
}
