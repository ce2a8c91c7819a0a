import { existsSync } from 'node:fs';
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import { checkCharset, produceText, type CaptchaGenerator, type RenderedCaptcha } from '../generator';
import { createRng, randFloat, type Rng } from '../random';
import { applySineWarp, drawSineWarp } from './sineWarp';

/** Where Debian's ttf-bitstream-vera package puts Bitstream Vera Sans Bold, reddit's captcha font. */
export const VERA_BOLD_PATH = '/usr/share/fonts/truetype/ttf-bitstream-vera/VeraBd.ttf';
const VERA_FAMILY = 'captcha-nn Vera Sans Bold';

export const REDDIT_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export interface RedditCaptchaOptions {
  seed?: string | number;
  /** Renders of each text: image `index` is render `index % renders` of text `floor(index / renders)` (default 1). */
  renders?: number;
  /** The TrueType font (default Bitstream Vera Sans Bold at VERA_BOLD_PATH). */
  fontPath?: string;
}

let registeredFont: string | undefined;

function registerVera(path: string): void {
  if (registeredFont === path) return;
  if (!existsSync(path)) {
    throw new Error(`reddit captchas are drawn in Bitstream Vera Sans Bold: ${path} is missing (Debian: apt-get install ttf-bitstream-vera), or pass fontPath`);
  }
  if (!GlobalFonts.registerFromPath(path, VERA_FAMILY)) throw new Error(`skia could not load the font ${path}`);
  registeredFont = path;
}

/**
 * reddit's old captcha (`r2/lib/captcha.py`, drawn with PyCAPTCHA): 120×50,
 * six letters A–Z on black. Layers, in order: a white grid with 8-pixel
 * spacing at a random offset; a sine warp of amplitude 5–9 (the grid only);
 * the text in white, Vera Sans Bold 18 px, placed at a uniform random
 * alignment; a sine warp with PyCAPTCHA's default amplitude 3–6.5 over the
 * whole image. The text depends on (seed, text index) only; every render of
 * it draws new grid offsets, warps and placement.
 */
export class RedditCaptchaGenerator implements CaptchaGenerator {
  readonly kind = 'reddit';
  readonly width = 120;
  readonly height = 50;
  readonly charset = checkCharset(REDDIT_CHARSET);
  readonly minLength = 6;
  readonly maxLength = 6;
  readonly seed: string | number;
  readonly renders: number;
  private readonly ctx: SKRSContext2D;

  constructor(opts: RedditCaptchaOptions = {}) {
    this.seed = opts.seed ?? 0;
    this.renders = opts.renders ?? 1;
    if (!Number.isInteger(this.renders) || this.renders < 1) throw new Error(`renders must be a positive integer, got ${opts.renders}`);
    registerVera(opts.fontPath ?? VERA_BOLD_PATH);
    this.ctx = createCanvas(this.width, this.height).getContext('2d');
    this.ctx.font = `18px "${VERA_FAMILY}"`;
  }

  /** The text of text index `text`. */
  text(text: number): string {
    return produceText(createRng('reddit-text', this.seed, text), this.charset, 6);
  }

  render(index: number): RenderedCaptcha {
    return this.renderText(Math.floor(index / this.renders), index % this.renders);
  }

  /** Render `render` of text `text`. */
  renderText(text: number, render: number): RenderedCaptcha {
    if (!Number.isInteger(text) || text < 0 || !Number.isInteger(render) || render < 0) {
      throw new Error(`text and render must be non-negative integers, got ${text}, ${render}`);
    }
    return this.renderLabel(this.text(text), createRng('reddit-render', this.seed, text, render));
  }

  /**
   * `label` drawn in reddit's style with the randomness of `rng` (the mix
   * generator draws its own texts). A text wider than the image
   * (`textWidth(label)` over 120) is clipped: check it first.
   */
  renderLabel(label: string, rng: Rng): RenderedCaptcha {
    const gray = this.draw(label, rng);
    const rgba = new Uint8Array(gray.length * 4);
    for (let i = 0; i < gray.length; i++) {
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = gray[i]!;
      rgba[i * 4 + 3] = 255;
    }
    return { rgba, label };
  }

  /** Width in pixels of `label` in reddit's font (18 px Vera Sans Bold). */
  textWidth(label: string): number {
    return this.ctx.measureText(label).width;
  }

  /** The captcha's intensity image (it is white on black, so one channel). */
  private draw(label: string, rng: Rng): Uint8Array {
    const { width: W, height: H } = this;
    let img: Uint8Array = new Uint8Array(W * H);
    // PyCAPTCHA's Grid draws width/size + 1 lines each way (the horizontal ones past the bottom fall outside).
    const ox = randFloat(rng, 0, 8);
    const oy = randFloat(rng, 0, 8);
    for (let i = 0; i <= Math.floor(W / 8); i++) {
      const x = Math.round(i * 8 + ox);
      const y = Math.round(i * 8 + oy);
      if (x < W) for (let r = 0; r < H; r++) img[r * W + x] = 255;
      if (y < H) img.fill(255, y * W, y * W + W);
    }
    img = applySineWarp(img, W, H, drawSineWarp(rng, [5, 9]));
    img = this.drawText(img, label, randFloat(rng, 0, 1), randFloat(rng, 0, 1));
    return applySineWarp(img, W, H, drawSineWarp(rng));
  }

  /** White text over `img`, its box placed at the alignment (0,0: top left; 1,1: bottom right). */
  private drawText(img: Uint8Array, label: string, ax: number, ay: number): Uint8Array {
    const { ctx, width: W, height: H } = this;
    const m = ctx.measureText(label);
    const ascent = m.fontBoundingBoxAscent;
    const textW = Math.ceil(m.width);
    const textH = Math.ceil(ascent + Math.max(0, m.actualBoundingBoxDescent));
    const x = Math.floor((W - textW) * ax + 0.5);
    const y = Math.floor((H - textH) * ay + 0.5);
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = 'white';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText(label, x, y + ascent);
    const alpha = ctx.getImageData(0, 0, W, H).data;
    const out = new Uint8Array(W * H);
    for (let i = 0; i < out.length; i++) {
      const a = alpha[i * 4 + 3]!;
      out[i] = Math.round(a + ((255 - a) * img[i]!) / 255);
    }
    return out;
  }
}
