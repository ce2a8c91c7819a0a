import {
  checkCharset,
  lengthRange,
  produceText,
  SIMPLE_CAPTCHA_CHARSET,
  type CaptchaGenerator,
  type LengthSpec,
  type RenderedCaptcha,
  type TextOptions,
} from '../generator';
import { simpleCaptchaFontPairs, type FontSpec } from '../fonts';
import { createRng, type Rng } from '../random';
import { applyGimpy, applyNoise, compositeOver, drawBorder, makeBackground, transparent, type BackgroundSpec, type GimpySpec, type NoiseSpec } from './effects';
import { Layer } from './layer';
import { WordRenderer, type WordRendererOptions } from './words';

/** One step of a recipe, in builder-call order. */
export type Step =
  | { type: 'text'; text: Required<TextOptions>; renderer: WordRendererOptions }
  | { type: 'background'; spec: BackgroundSpec }
  | { type: 'noise'; spec: NoiseSpec }
  | { type: 'gimp'; spec: GimpySpec }
  | { type: 'border'; color?: string };

/** A sequence of steps: one way of drawing a captcha. */
export interface Recipe {
  steps: Step[];
}

export interface SimpleCaptchaConfig {
  width: number;
  height: number;
  /** Alternatives; each image uses one, chosen uniformly with the image's PRNG. */
  recipes: Recipe[];
  /** Seed (default 0). Image i depends only on (seed, config, i). */
  seed?: string | number;
}

function checkSize(width: number, height: number): void {
  for (const [k, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 4096) throw new Error(`${k} must be an integer in 1..4096, got ${v}`);
  }
}

/**
 * Chains steps like SimpleCaptcha's `Captcha.Builder`: text, noise and
 * distortions are applied in call order to a transparent text layer; the
 * background is painted under it and the border over it at the end.
 * `.or()` starts an alternative recipe (the generator picks one per image).
 *
 * ```ts
 * const gen = new CaptchaBuilder(200, 50)
 *   .addText().addBackground().addNoise(curvedLine()).gimp(ripple())
 *   .or()
 *   .addText().addBackground(gradiated()).addNoise(straightLine()).gimp(fishEye())
 *   .build({ seed: 1 });
 * ```
 */
export class CaptchaBuilder {
  private readonly done: Recipe[] = [];
  private steps: Step[] = [];

  constructor(
    readonly width = 200,
    readonly height = 50,
  ) {
    checkSize(width, height);
  }

  /** Adds text (default: 5 characters from SimpleCaptcha's charset, black 40px bold). */
  addText(text: TextOptions = {}, renderer: WordRendererOptions = {}): this {
    const t = { charset: checkCharset(text.charset ?? SIMPLE_CAPTCHA_CHARSET), length: text.length ?? 5 };
    lengthRange(t.length);
    this.steps.push({ type: 'text', text: t, renderer });
    return this;
  }

  /** Sets the background (default transparent, as SimpleCaptcha's addBackground()). */
  addBackground(spec: BackgroundSpec = transparent()): this {
    this.steps.push({ type: 'background', spec });
    return this;
  }

  addNoise(spec: NoiseSpec): this {
    this.steps.push({ type: 'noise', spec });
    return this;
  }

  gimp(spec: GimpySpec): this {
    this.steps.push({ type: 'gimp', spec });
    return this;
  }

  addBorder(color?: string): this {
    this.steps.push({ type: 'border', color });
    return this;
  }

  /** Ends this recipe and starts an alternative one. */
  or(): this {
    this.done.push({ steps: this.steps });
    this.steps = [];
    return this;
  }

  /** The recipes so far. */
  recipes(): Recipe[] {
    return this.steps.length > 0 ? [...this.done, { steps: this.steps }] : [...this.done];
  }

  build(opts: { seed?: string | number } = {}): SimpleCaptchaGenerator {
    return new SimpleCaptchaGenerator({ width: this.width, height: this.height, recipes: this.recipes(), seed: opts.seed });
  }
}

/** Renders SimpleCaptcha-style captchas on the installed canvas (skia in Node, OffscreenCanvas in a browser) and JS pixel effects. */
export class SimpleCaptchaGenerator implements CaptchaGenerator {
  readonly kind = 'simple';
  readonly width: number;
  readonly height: number;
  readonly seed: string | number;
  readonly recipes: Recipe[];
  readonly charset: string;
  readonly minLength: number;
  readonly maxLength: number;
  private readonly renderers: Map<Step, WordRenderer> = new Map();
  private layer: Layer | null = null;

  constructor(config: SimpleCaptchaConfig) {
    checkSize(config.width, config.height);
    if (config.recipes.length === 0) throw new Error('no recipe: call addText() (and effects) before build()');
    this.width = config.width;
    this.height = config.height;
    this.seed = config.seed ?? 0;
    this.recipes = config.recipes;
    const chars = new Set<string>();
    let lo = Infinity;
    let hi = 0;
    config.recipes.forEach((r, i) => {
      const texts = r.steps.filter((s): s is Extract<Step, { type: 'text' }> => s.type === 'text');
      if (texts.length !== 1) throw new Error(`recipe ${i} has ${texts.length} text steps; exactly one is needed`);
      const t = texts[0]!;
      const [a, b] = lengthRange(t.text.length);
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
      for (const c of t.text.charset) chars.add(c);
      this.renderers.set(t, new WordRenderer(t.renderer));
    });
    this.charset = [...chars].join('');
    this.minLength = lo;
    this.maxLength = hi;
  }

  /** The fonts each recipe draws with (they fix the output on a machine). */
  fonts(): string[] {
    return [...new Set([...this.renderers.values()].flatMap((r) => r.fonts.map((f) => `${f.family} ${f.weight ?? 'normal'}`)))];
  }

  render(index: number): RenderedCaptcha {
    const rng: Rng = createRng('simple', this.seed, index);
    const recipe = this.recipes.length === 1 ? this.recipes[0]! : this.recipes[Math.floor(rng() * this.recipes.length)]!;
    if (!this.layer) this.layer = new Layer(this.width, this.height);
    const layer = this.layer;
    layer.clear();
    let label = '';
    let background: BackgroundSpec | null = null;
    let border: string | null = null;
    for (const step of recipe.steps) {
      switch (step.type) {
        case 'text': {
          const text = produceText(rng, step.text.charset, step.text.length);
          label += text;
          this.renderers.get(step)!.render(layer.context(), text, this.width, this.height, rng);
          break;
        }
        case 'background':
          background = step.spec;
          break;
        case 'noise':
          applyNoise(layer, step.spec, rng);
          break;
        case 'gimp':
          applyGimpy(layer, step.spec, rng);
          break;
        case 'border':
          border = step.color ?? 'black';
          break;
      }
    }
    const out = makeBackground(background ?? transparent(), this.width, this.height);
    compositeOver(out, layer.pixels());
    if (border) drawBorder(out, this.width, this.height, border);
    return { rgba: out, label };
  }
}

/** Names of the SimpleCaptcha presets. */
export type SimplePreset = 'seed' | 'variable' | 'hard';
export const SIMPLE_PRESETS: readonly SimplePreset[] = ['seed', 'variable', 'hard'];

export interface PresetOptions {
  width?: number;
  height?: number;
  /** Overrides every recipe's length. */
  length?: LengthSpec;
  charset?: string;
  fonts?: ReadonlyArray<string>;
  seed?: string | number;
}

/**
 * Preset generators.
 * - `seed`: the 2016 recipe, 200×50, per image either (default text, default
 *   [transparent] background, curved-line noise, ripple) or (default text,
 *   gradiated background, straight-line noise, fish-eye); each piece follows
 *   SimpleCaptcha 1.2.1's code (docs/simplecaptcha-fidelity.md). The text is
 *   drawn per image in one of the font pairs Java finds for Arial and Courier
 *   (simpleCaptchaFontPairs: Liberation, and DejaVu where Java falls back),
 *   hinted as Java2D draws it; `fonts` pins one list.
 * - `variable`: the seed's two recipes with 4–8 characters, shrunk to fit.
 * - `hard`: every effect: jittered multi-colour text, one of flat /
 *   gradiated / squiggles backgrounds, both noises, drop shadow, ripple,
 *   shear, fish-eye, block, border.
 */
export function simplePreset(name: SimplePreset, opts: PresetOptions = {}): SimpleCaptchaGenerator {
  const b = new CaptchaBuilder(opts.width ?? 200, opts.height ?? 50);
  const text = (length: LengthSpec): TextOptions => ({ length: opts.length ?? length, ...(opts.charset ? { charset: opts.charset } : {}) });
  const fonts = opts.fonts ? { fonts: opts.fonts } : {};
  const fit = opts.length !== undefined && (typeof opts.length !== 'number' || opts.length > 5);
  switch (name) {
    case 'seed':
    case 'variable': {
      const length: LengthSpec = name === 'seed' ? 5 : [4, 8];
      // Each image in one machine's font pair: the two recipes once per pair (none installed: the default fonts).
      const fontLists: Array<ReadonlyArray<string | FontSpec> | undefined> = opts.fonts ? [opts.fonts] : simpleCaptchaFontPairs();
      (fontLists.length > 0 ? fontLists : [undefined]).forEach((list, i) => {
        if (i > 0) b.or();
        const r = { ...(list ? { fonts: list } : {}), fit: name === 'variable' || fit, hinted: true };
        b.addText(text(length), r).addBackground().addNoise({ type: 'curvedLine' }).gimp({ type: 'ripple' });
        b.or();
        b.addText(text(length), r).addBackground({ type: 'gradiated' }).addNoise({ type: 'straightLine' }).gimp({ type: 'fishEye' });
      });
      break;
    }
    case 'hard': {
      const bgs: BackgroundSpec[] = [{ type: 'flat', color: '#d0d0d0' }, { type: 'gradiated' }, { type: 'squiggles', color: '#b0b0b0', background: '#f0f0f0' }];
      bgs.forEach((bg, i) => {
        if (i > 0) b.or();
        b.addText(text(5), {
          ...fonts,
          fit: true,
          fontSize: [34, 42],
          rotation: 15,
          jitterY: 3,
          spacing: 1,
          colors: ['black', '#1f3b73', '#6b1010', '#0b5d1e'],
        })
          .addBackground(bg)
          .gimp({ type: 'dropShadow', radius: 2, distance: 2, opacity: 0.5 })
          .addNoise({ type: 'curvedLine', width: 2 })
          .addNoise({ type: 'straightLine', thickness: 2 })
          .gimp({ type: 'ripple', randomPhase: true, overOriginal: false })
          .gimp({ type: 'shear', scale: 0.35 })
          .gimp({ type: 'fishEye', hColor: '#999', vColor: '#999', spacing: 9 })
          .gimp({ type: 'block', blockSize: 2 })
          .addBorder();
      });
      break;
    }
    default:
      throw new Error(`unknown preset '${String(name)}'; expected one of ${SIMPLE_PRESETS.join(', ')}`);
  }
  return b.build({ seed: opts.seed });
}
