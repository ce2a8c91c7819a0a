import { canvasFactory, type Context2D } from '../canvas';
import { cssFont, resolveFonts, type FontSpec } from '../fonts';
import { pick, randFloat, randInt, type Rng } from '../random';

/** Word renderer options (SimpleCaptcha's DefaultWordRenderer, plus jitter). */
export interface WordRendererOptions {
  /** Fonts picked per character (default: see defaultFonts()). */
  fonts?: ReadonlyArray<string | FontSpec>;
  /** Pixel size, or an inclusive range picked per character (default 40). */
  fontSize?: number | readonly [number, number];
  /** CSS colours picked per character (default black). */
  colors?: readonly string[];
  /** Maximum rotation per character, degrees either way (default 0). */
  rotation?: number;
  /** Maximum vertical offset per character, pixels either way (default 0). */
  jitterY?: number;
  /** Extra pixels between characters (default 0; negative overlaps). */
  spacing?: number;
  /** Shrink the font so the word fits the width (default false, as SimpleCaptcha). */
  fit?: boolean;
  /** Start of the text as fractions of width / from the bottom (SimpleCaptcha: 0.05, 0.25). */
  xOffset?: number;
  yOffset?: number;
  /**
   * Draw each unrotated glyph at whole pixels with its outline hinted by the font's TrueType instructions, as
   * Java2D draws antialiased text, where the canvas factory reads the font file (default false: the canvas's own
   * text, unhinted). SimpleCaptcha's presets set it.
   */
  hinted?: boolean;
}

const widthCache = new Map<string, number>();

/**
 * DefaultWordRenderer's advance: the width of the character's visual bounds
 * (Java's `GlyphVector.getVisualBounds()`, the unhinted outline box), not its
 * advance width. Read from the font file where the canvas factory knows it;
 * else measured with the canvas (skia rounds that box out to whole pixels, so
 * it can be up to a pixel wider).
 */
export function visualWidth(ctx: Context2D, spec: FontSpec, px: number, ch: string): number {
  const key = `${cssFont(spec, px)}|${ch}`;
  let w = widthCache.get(key);
  if (w === undefined) {
    w = canvasFactory().inkWidth?.(spec, px, ch) ?? undefined;
    if (w === undefined || w === null) {
      ctx.font = cssFont(spec, px);
      const m = ctx.measureText(ch);
      w = m.actualBoundingBoxLeft + m.actualBoundingBoxRight;
      if (!(w > 0)) w = m.width;
    }
    widthCache.set(key, w);
  }
  return w;
}

/** A word renderer with fonts resolved once. */
export class WordRenderer {
  readonly fonts: FontSpec[];
  constructor(readonly options: WordRendererOptions = {}) {
    this.fonts = resolveFonts(options.fonts);
    if (this.fonts.length === 0) throw new Error('no fonts available to draw text; register one with registerFont()');
    const size = options.fontSize ?? 40;
    const sizes = typeof size === 'number' ? [size] : size;
    for (const s of sizes) if (!(s > 0)) throw new Error(`fontSize must be > 0, got ${JSON.stringify(size)}`);
  }

  /**
   * Draws `word` like DefaultWordRenderer: the first glyph's origin at
   * x = round(5% of the width), the baseline at height − round(25% of the
   * height), each later origin moved right by the previous glyph's visual
   * width truncated to an integer (so glyphs touch or overlap, and side
   * bearings are not kept). Returns the glyph origins' x positions.
   */
  render(ctx: Context2D, word: string, width: number, height: number, rng: Rng): number[] {
    const o = this.options;
    const colors = o.colors && o.colors.length > 0 ? o.colors : ['black'];
    const size = o.fontSize ?? 40;
    const chars = [...word];
    const plan = chars.map((ch) => {
      const font = pick(rng, this.fonts);
      const color = pick(rng, colors);
      const px = typeof size === 'number' ? size : randInt(rng, size[0], size[1]);
      const rot = o.rotation ? randFloat(rng, -o.rotation, o.rotation) : 0;
      const dy = o.jitterY ? randFloat(rng, -o.jitterY, o.jitterY) : 0;
      return { ch, font, color, px, rot, dy };
    });
    const spacing = o.spacing ?? 0;
    const x0 = Math.round(width * (o.xOffset ?? 0.05));
    let scale = 1;
    if (o.fit) {
      const total = plan.reduce((s, p) => s + visualWidth(ctx, p.font, p.px, p.ch) + spacing, 0);
      const avail = width - 2 * x0;
      if (total > avail && total > 0) scale = avail / total;
    }
    const yBase = height - Math.round(height * (o.yOffset ?? 0.25));
    let x = x0;
    const xs: number[] = [];
    ctx.save();
    for (const p of plan) {
      xs.push(x);
      const px = Math.max(1, Math.round(p.px * scale));
      const w = visualWidth(ctx, p.font, px, p.ch);
      ctx.font = cssFont(p.font, px);
      ctx.fillStyle = p.color;
      const y = yBase + p.dy;
      const hinted = o.hinted === true && p.rot === 0 && Number.isInteger(y) && canvasFactory().fillHintedGlyph?.(ctx, p.font, px, p.ch, x, y) === true;
      if (!hinted) fillChar(ctx, p.ch, x, y, w, p.rot);
      x += Math.trunc(w) + spacing;
    }
    ctx.restore();
    return xs;
  }
}

/** The canvas's own text: `ch` with its origin at (x, y), turned `rot` degrees about the middle of its box `w` wide. */
function fillChar(ctx: Context2D, ch: string, x: number, y: number, w: number, rot: number): void {
  if (rot === 0) {
    ctx.fillText(ch, x, y);
    return;
  }
  ctx.save();
  ctx.translate(x + w / 2, y);
  ctx.rotate((rot * Math.PI) / 180);
  ctx.fillText(ch, -w / 2, 0);
  ctx.restore();
}
