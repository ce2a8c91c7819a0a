/**
 * The Node canvas factory: skia through @napi-rs/canvas, with svg-captcha's
 * bundled font registered on first use (so a machine without DejaVu still has
 * a font to draw with).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCanvas, GlobalFonts, ImageData, Path2D } from '@napi-rs/canvas';
import type { CanvasFactory } from './canvas';
import { BUNDLED_FONT_FAMILY, type FontSpec } from './fonts';
import { toRGBA, type ImageBuffer } from './image';
import { boundedCache } from './simple/boundedCache';
import { type GlyphBoxes, inkWidth, readGlyphBoxes } from './ttf';

let bundledRegistered = false;

/** Path of svg-captcha's bundled TrueType font. */
export function bundledFontPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('svg-captcha/package.json')), 'fonts', 'Comismsh.ttf');
}

/** Registers the bundled font with skia (once). */
function registerBundledFonts(): void {
  if (bundledRegistered) return;
  bundledRegistered = true;
  if (GlobalFonts.has(BUNDLED_FONT_FAMILY)) return;
  const path = bundledFontPath();
  if (existsSync(path)) GlobalFonts.registerFromPath(path, BUNDLED_FONT_FAMILY);
}

/**
 * Font files whose outline boxes the word renderer reads (`family|weight`):
 * Debian's fonts-liberation and fonts-dejavu-core, where installed, and every
 * file passed to registerFont.
 */
const fontFiles = new Map<string, string>(
  Object.entries({
    'Liberation Sans|bold': '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
    'Liberation Mono|bold': '/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf',
    'DejaVu Sans|bold': '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
    'DejaVu Sans Mono|bold': '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf',
  }),
);
const glyphBoxes = new Map<string, GlyphBoxes | null>();
/** Hinted outlines by font, size and character (null: the font's file is unknown, or it lacks the glyph). */
const hintedGlyphs = boundedCache<Path2D | null>(4096);

const fontKey = (family: string, weight: FontSpec['weight'] = 'normal') => `${family}|${weight}`;

/**
 * Registers a font file under a family name, for use in `fonts` options (Node).
 * `weight` names the file's weight, so a `{ family, weight }` font spec finds its outline boxes.
 */
export function registerFont(path: string, family: string, weight: FontSpec['weight'] = 'normal'): void {
  if (!existsSync(path)) throw new Error(`font file not found: ${path}`);
  const key = GlobalFonts.registerFromPath(path, family);
  if (!key) throw new Error(`skia could not load the font ${path}`);
  fontFiles.set(fontKey(family, weight), path);
  glyphBoxes.delete(fontKey(family, weight));
  hintedGlyphs.clear();
}

/** The outline boxes of a font spec's file, when the file is known and is TrueType; parsed once. */
function boxesFor(font: FontSpec): GlyphBoxes | null {
  const key = fontKey(font.family, font.weight);
  let boxes = glyphBoxes.get(key);
  if (boxes === undefined) {
    const path = fontFiles.get(key);
    boxes = null;
    if (path && existsSync(path)) {
      try {
        boxes = readGlyphBoxes(readFileSync(path));
      } catch {
        boxes = null; // not a glyf TrueType font (e.g. CFF): the renderer measures with the canvas instead
      }
    }
    glyphBoxes.set(key, boxes);
  }
  return boxes;
}

export const skiaCanvasFactory: CanvasFactory = {
  name: 'skia (@napi-rs/canvas)',
  createCanvas: (width, height) => createCanvas(width, height),
  hasFont(family) {
    registerBundledFonts();
    return GlobalFonts.has(family);
  },
  families() {
    registerBundledFonts();
    return GlobalFonts.families.map((f) => f.family);
  },
  inkWidth(font, px, ch) {
    const boxes = boxesFor(font);
    return boxes ? inkWidth(boxes, px, ch) : null;
  },
  fillHintedGlyph(ctx, font, px, ch, x, y) {
    const path = hintedGlyphs(`${fontKey(font.family, font.weight)}|${px}|${ch}`, () => {
      const d = boxesFor(font)?.hintedPath(ch, px);
      return d == null ? null : new Path2D(d);
    });
    if (!path) return false;
    ctx.save();
    ctx.translate(x, y);
    ctx.fill(path);
    ctx.restore();
    return true;
  },
};

/** PNG bytes of an image (encoded by skia). */
export function encodePng(image: ImageBuffer): Buffer {
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.putImageData(new ImageData(toRGBA(image), image.width, image.height), 0, 0);
  return canvas.encodeSync('png');
}
