import { DEBIAN_FONTS, installedDebianFonts, missingFontMessage, type FontSpec } from '../fonts';
import { canvasFactory } from '../canvas';
import { checkCharset, lengthRange, type CaptchaGenerator, type LengthSpec, type RenderedCaptcha } from '../generator';
import { createRng, pick, randInt } from '../random';
import { RedditCaptchaGenerator } from '../reddit/generator';
import { fitRGBA } from '../fit';
import { PlainRenderer } from './plain';
import { drawPlain, drawReddit, drawSimple, drawSvg, MIX_SOURCES, type Drawn, type MixSource, type SourceContext } from './sources';

/** The mix's default label alphabet: digits, upper and lower case letters. */
export const MIX_CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface MixCaptchaOptions {
  /** Image `index` depends only on (seed, options, installed fonts, index). Default 0. */
  seed?: string | number;
  /** Output size of every sample, whatever its source (default 160x64). */
  width?: number;
  height?: number;
  /** Text length, fixed or an inclusive range (default [4, 8]). */
  length?: LengthSpec;
  /** Label alphabet (default MIX_CHARSET, 0-9A-Za-z). */
  charset?: string;
  /**
   * Font families for the simple and plain sources; weight and style are
   * drawn per sample where a spec leaves them open. Default: every family of
   * DEBIAN_FONTS (DejaVu, Liberation, Bitstream Vera) installed here.
   */
  fonts?: ReadonlyArray<string | FontSpec>;
  /** Sources to draw from, one picked uniformly per sample among those that fit its text (default all of MIX_SOURCES). */
  sources?: readonly MixSource[];
}

/** A mix sample, with the source that drew it. */
export interface MixRendered extends RenderedCaptcha {
  source: MixSource;
}

/**
 * Captchas from a randomised mix of this package's generators, for
 * pre-training a general model (issue #18). Each sample draws, from its
 * own seeded PRNG (seed, index): a text length and a source (our SimpleCaptcha
 * builder with random settings, svg-captcha, reddit's renderer for texts that
 * fit its 120 pixels, or a plain canvas style), then the source draws the
 * text from the charset and its fonts, colours, background, noise and warps.
 * Every sample comes out at one size, opaque; sources that draw another size
 * are fitted as the folder loader's fit 'contain' (aspect ratio kept, shrunk
 * if larger, centred on white), never stretched. Node only (svg-captcha is
 * rasterised by resvg).
 */
export class MixCaptchaGenerator implements CaptchaGenerator {
  readonly kind = 'mix';
  readonly width: number;
  readonly height: number;
  readonly charset: string;
  readonly minLength: number;
  readonly maxLength: number;
  readonly seed: string | number;
  readonly fonts: readonly FontSpec[];
  readonly sources: readonly MixSource[];
  /** Longest text the reddit renderer fits: its widest character times this is at most its 120 pixels, as reddit's own six letters (0 without reddit). */
  readonly redditMaxLength: number;
  private readonly context: SourceContext;
  private readonly reddit: RedditCaptchaGenerator | null;
  private readonly plain: PlainRenderer | null;

  constructor(opts: MixCaptchaOptions = {}) {
    this.width = checkSide('width', opts.width ?? 160);
    this.height = checkSide('height', opts.height ?? 64);
    [this.minLength, this.maxLength] = mixCheck(() => lengthRange(opts.length ?? [4, 8]));
    this.charset = mixCheck(() => checkCharset(opts.charset ?? MIX_CHARSET));
    this.seed = opts.seed ?? 0;
    this.sources = checkSources(opts.sources ?? MIX_SOURCES);
    this.fonts = mixFonts(opts.fonts);
    this.context = { width: this.width, height: this.height, charset: this.charset, fonts: this.fonts };
    this.plain = this.sources.includes('plain') ? new PlainRenderer(this.width, this.height) : null;
    this.reddit = null;
    this.redditMaxLength = 0;
    if (this.sources.includes('reddit')) {
      try {
        this.reddit = new RedditCaptchaGenerator();
      } catch (e) {
        throw new Error(`mix: ${(e as Error).message} (or leave 'reddit' out of sources)`);
      }
      const widest = Math.max(...[...this.charset].map((ch) => this.reddit!.textWidth(ch)));
      this.redditMaxLength = Math.floor(this.reddit.width / widest);
    }
    for (let n = this.minLength; n <= this.maxLength; n++) {
      if (this.eligible(n).length === 0)
        throw new Error(
          `mix: no source can draw ${n} characters (sources ${this.sources.join(', ')}; reddit fits up to ${this.redditMaxLength}): add another source or shorten length`,
        );
    }
  }

  /** The sources that can draw a text of `n` characters. */
  private eligible(n: number): MixSource[] {
    return this.sources.filter((s) => s !== 'reddit' || n <= this.redditMaxLength);
  }

  render(index: number): MixRendered {
    if (!Number.isInteger(index) || index < 0) throw new Error(`mix: index must be a non-negative integer (got ${index})`);
    const rng = createRng('mix', this.seed, index);
    const n = this.minLength === this.maxLength ? this.minLength : randInt(rng, this.minLength, this.maxLength);
    const source = pick(rng, this.eligible(n));
    const d = this.draw(source, n, createRng('mix-draw', this.seed, index));
    return { rgba: fitRGBA(d.rgba, d.width, d.height, this.width, this.height, 'contain'), label: d.label, source };
  }

  private draw(source: MixSource, n: number, rng: () => number): Drawn {
    switch (source) {
      case 'simple':
        return drawSimple(this.context, n, rng);
      case 'svg':
        return drawSvg(this.context, n, rng);
      case 'reddit':
        return drawReddit(this.reddit!, this.context, n, rng);
      case 'plain':
        return drawPlain(this.plain!, this.context, n, rng);
    }
  }
}

function checkSide(name: 'width' | 'height', v: number): number {
  if (!Number.isInteger(v) || v < 8 || v > 4096) throw new Error(`mix: ${name} must be an integer in 8..4096 (got ${v})`);
  return v;
}

/** The data package's own checks (lengthRange, checkCharset), their errors naming the mix. */
function mixCheck<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw new Error(`mix: ${(e as Error).message}`);
  }
}

function checkSources(sources: readonly string[]): MixSource[] {
  if (sources.length === 0) throw new Error(`mix: sources is empty (some of ${MIX_SOURCES.join(', ')})`);
  for (const s of sources) {
    if (!(MIX_SOURCES as readonly string[]).includes(s)) throw new Error(`mix: unknown source '${s}' (expected some of ${MIX_SOURCES.join(', ')})`);
  }
  return [...new Set(sources as MixSource[])];
}

/** The fonts option, each family checked (the canvas would silently substitute a missing one). */
function mixFonts(fonts: ReadonlyArray<string | FontSpec> | undefined): FontSpec[] {
  if (fonts === undefined) {
    const found = installedDebianFonts();
    if (found.length === 0) {
      const packages = [...new Set(Object.values(DEBIAN_FONTS))].join(' ');
      throw new Error(`mix: none of the fonts it draws with is installed (Debian: apt-get install ${packages}), or pass fonts`);
    }
    return found.map((family) => ({ family }));
  }
  if (fonts.length === 0) throw new Error('mix: fonts is empty (font families to draw with, e.g. DejaVu Sans)');
  return fonts.map((f) => {
    const spec = typeof f === 'string' ? { family: f } : f;
    if (!canvasFactory().hasFont(spec.family)) throw new Error(`mix: ${missingFontMessage(spec.family)}`);
    return spec;
  });
}
