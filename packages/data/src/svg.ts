import { Resvg } from '@resvg/resvg-js';
import * as svgCaptchaModule from 'svg-captcha';
import { checkCharset, lengthRange, produceText, SIMPLE_CAPTCHA_CHARSET, type CaptchaGenerator, type LengthSpec, type RenderedCaptcha } from './generator';
import { createRng, withMathRandom, type Rng } from './random';

// svg-captcha's module.exports is createCaptcha(text, options) → SVG string (its typings omit it).
type CreateCaptcha = (text: string, options: object) => string;
const mod = svgCaptchaModule as unknown as { default?: CreateCaptcha } & CreateCaptcha;
const createCaptcha: CreateCaptcha = typeof mod.default === 'function' ? mod.default : mod;

/** svg-captcha's own options, passed through unchanged (see its README). */
export interface SvgCaptchaNativeOptions {
  width?: number;
  height?: number;
  fontSize?: number;
  noise?: number;
  color?: boolean;
  inverse?: boolean;
  background?: string;
  /** svg-captcha's alphabet; used as our charset when `charset` is not given. */
  charPreset?: string;
  /** Characters removed from the alphabet. */
  ignoreChars?: string;
  /** svg-captcha's text length; used when `length` is not given. */
  size?: number;
}

export interface SvgCaptchaOptions extends SvgCaptchaNativeOptions {
  /** Label alphabet (default SimpleCaptcha's 23 characters, for one charset across generators). */
  charset?: string;
  /** Fixed length or inclusive range (default `size` or 4). */
  length?: LengthSpec;
  seed?: string | number;
  /** Colour behind the SVG when `background` is not set (default white). */
  matte?: string;
}

/**
 * svg-captcha (a real third-party generator) rasterised with resvg.
 *
 * Determinism: svg-captcha draws its noise, colours and path order from
 * `Math.random`. For each image we generate the text ourselves from a seeded
 * PRNG, then call svg-captcha synchronously with `Math.random` temporarily
 * replaced by that PRNG (restored in a `finally`). The call is synchronous,
 * so no other code can observe the swap.
 */
export class SvgCaptchaGenerator implements CaptchaGenerator {
  readonly kind = 'svg';
  readonly width: number;
  readonly height: number;
  readonly charset: string;
  readonly minLength: number;
  readonly maxLength: number;
  readonly seed: string | number;
  private readonly length: LengthSpec;
  private readonly native: Record<string, unknown>;
  private readonly matte: string;

  constructor(opts: SvgCaptchaOptions = {}) {
    const { charset, length, seed, matte, charPreset, ignoreChars, size, ...native } = opts;
    this.width = native.width ?? 150;
    this.height = native.height ?? 50;
    for (const [k, v] of [
      ['width', this.width],
      ['height', this.height],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 4096) throw new Error(`${k} must be an integer in 1..4096, got ${v}`);
    }
    let cs = charset ?? charPreset ?? SIMPLE_CAPTCHA_CHARSET;
    if (ignoreChars) cs = [...cs].filter((c) => !ignoreChars.includes(c)).join('');
    this.charset = checkCharset(cs);
    this.length = length ?? size ?? 4;
    [this.minLength, this.maxLength] = lengthRange(this.length);
    this.seed = seed ?? 0;
    this.native = { ...native, width: this.width, height: this.height };
    this.matte = matte ?? 'white';
  }

  /** The SVG text of image `index` and its label. */
  svg(index: number): { svg: string; label: string } {
    const rng = createRng('svg', this.seed, index);
    const label = produceText(rng, this.charset, this.length);
    return { svg: this.svgOf(label, rng), label };
  }

  /** svg-captcha's SVG of `label`, its noise, colours and path order drawn from `rng`. */
  svgOf(label: string, rng: Rng): string {
    return withMathRandom(rng, () => createCaptcha(label, this.native));
  }

  render(index: number): RenderedCaptcha {
    const { svg, label } = this.svg(index);
    return this.rasterize(svg, label);
  }

  /** `label` drawn by svg-captcha with the randomness of `rng` (the mix generator draws its own texts). */
  renderLabel(label: string, rng: Rng): RenderedCaptcha {
    return this.rasterize(this.svgOf(label, rng), label);
  }

  private rasterize(svg: string, label: string): RenderedCaptcha {
    const img = new Resvg(svg, { background: this.native.background ? undefined : this.matte, font: { loadSystemFonts: false } }).render();
    if (img.width !== this.width || img.height !== this.height) {
      throw new Error(`resvg produced ${img.width}x${img.height}, expected ${this.width}x${this.height}`);
    }
    // With an opaque background resvg's premultiplied output equals straight alpha.
    return { rgba: new Uint8Array(img.pixels.buffer, img.pixels.byteOffset, img.pixels.length), label };
  }
}
