/**
 * The Node canvas factory: skia through @napi-rs/canvas, with svg-captcha's
 * bundled font registered on first use (so a machine without DejaVu still has
 * a font to draw with).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createCanvas, GlobalFonts, ImageData } from '@napi-rs/canvas';
import type { CanvasFactory } from './canvas';
import { BUNDLED_FONT_FAMILY } from './fonts';
import { toRGBA, type ImageBuffer } from './image';

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

/** Registers a font file under a family name, for use in `fonts` options (Node). */
export function registerFont(path: string, family: string): void {
  if (!existsSync(path)) throw new Error(`font file not found: ${path}`);
  const key = GlobalFonts.registerFromPath(path, family);
  if (!key) throw new Error(`skia could not load the font ${path}`);
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
};

/** PNG bytes of an image (encoded by skia). */
export function encodePng(image: ImageBuffer): Buffer {
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.putImageData(new ImageData(toRGBA(image), image.width, image.height), 0, 0);
  return canvas.encodeSync('png');
}
