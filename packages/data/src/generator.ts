import { fromRGBA, normalizeImage, type ImageBuffer, type Normalization, type PixelFormat, type RGBA } from './image';
import { randInt, type Rng } from './random';

/** SimpleCaptcha's DefaultTextProducer alphabet: 23 characters, no look-alikes. */
export const SIMPLE_CAPTCHA_CHARSET = 'abcdefghkmnprwxy2345678';

/** A captcha length: fixed, or a [min, max] range (inclusive, uniform). */
export type LengthSpec = number | readonly [number, number];

/** Text producer options (SimpleCaptcha's TextProducer). */
export interface TextOptions {
  /** Characters to draw from (default SimpleCaptcha's 23). */
  charset?: string;
  /** Fixed length or inclusive range (default 5). */
  length?: LengthSpec;
}

/** Checks a length spec and returns [min, max]. */
export function lengthRange(length: LengthSpec): [number, number] {
  const [lo, hi] = typeof length === 'number' ? [length, length] : [length[0], length[1]];
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) {
    throw new Error(`invalid length ${JSON.stringify(length)}: expected an integer >= 1 or a range [min, max] with 1 <= min <= max`);
  }
  return [lo, hi];
}

/** Checks a charset: non-empty, no repeated characters. */
export function checkCharset(charset: string): string {
  const chars = [...charset];
  if (chars.length === 0) throw new Error('charset is empty');
  const seen = new Set<string>();
  for (const c of chars) {
    if (seen.has(c)) throw new Error(`charset repeats the character '${c}'`);
    seen.add(c);
  }
  return charset;
}

/** Random text of a length drawn from `length`, characters uniform over `charset`. */
export function produceText(rng: Rng, charset: string, length: LengthSpec): string {
  const chars = [...charset];
  const [lo, hi] = lengthRange(length);
  const n = lo === hi ? lo : randInt(rng, lo, hi);
  let s = '';
  for (let i = 0; i < n; i++) s += chars[Math.floor(rng() * chars.length)]!;
  return s;
}

/** One rendered captcha: unpremultiplied RGBA bytes and its answer. */
export interface RenderedCaptcha {
  rgba: Uint8ClampedArray | Uint8Array;
  label: string;
}

/**
 * Anything that draws captchas: image `index` is a pure function of the
 * generator's seed, config and `index`.
 */
export interface CaptchaGenerator {
  readonly kind: string;
  readonly width: number;
  readonly height: number;
  /** Every character a label can contain. */
  readonly charset: string;
  readonly minLength: number;
  readonly maxLength: number;
  render(index: number): RenderedCaptcha;
}

/** A generated or loaded example. */
export interface Sample<T extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  image: ImageBuffer<T>;
  label: string;
  index?: number;
  file?: string;
}

export interface SampleOptions {
  /** Pixel layout (default 'gray'). Transparent pixels are flattened onto `matte` for gray/rgb. */
  format?: PixelFormat;
  /** 'uint8' bytes (default) or 'float32' normalised with `normalize`. */
  dtype?: 'uint8' | 'float32';
  normalize?: Normalization;
  /** Colour behind transparent pixels (default white). */
  matte?: RGBA | string;
}

/** Image `index` of a generator as a sample. */
export function generateSample(gen: CaptchaGenerator, index: number, opts: SampleOptions = {}): Sample {
  const { rgba, label } = gen.render(index);
  const img = fromRGBA(rgba, gen.width, gen.height, opts.format ?? 'gray', opts.matte);
  const image = opts.dtype === 'float32' ? normalizeImage(img, opts.normalize ?? 'unit') : img;
  return { image, label, index };
}

export interface StreamOptions extends SampleOptions {
  /** First index (default 0). */
  start?: number;
  /** Stop after this many samples (default: never). */
  count?: number;
}

/**
 * An endless (unless `count`), seeded stream of fresh samples for training:
 * indices start, start+1, ...; nothing is written to disk. It yields to the
 * event loop every 64 samples so timers and I/O keep running.
 */
export async function* captchaStream(gen: CaptchaGenerator, opts: StreamOptions = {}): AsyncGenerator<Sample, void, undefined> {
  const start = opts.start ?? 0;
  const end = opts.count === undefined ? Infinity : start + opts.count;
  for (let i = start; i < end; i++) {
    if ((i - start) % 64 === 63) await new Promise<void>((r) => setImmediate(r));
    yield generateSample(gen, i, opts);
  }
}
