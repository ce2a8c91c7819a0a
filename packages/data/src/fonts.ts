import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/** A font for the word renderer: a family skia knows, with weight and style. */
export interface FontSpec {
  family: string;
  weight?: 'normal' | 'bold' | number;
  style?: 'normal' | 'italic' | 'oblique';
}

/** Family name under which svg-captcha's bundled font (Comismsh.ttf) is registered. */
export const BUNDLED_FONT_FAMILY = 'Comismsh';

/**
 * Preferred defaults: stand-ins for SimpleCaptcha's bold Arial and Courier
 * (DejaVu Sans / Sans Mono, on most Linux systems and found by skia without
 * any package of ours). Where neither exists, the font bundled with the
 * svg-captcha npm package (always available) is the default.
 */
const PREFERRED: FontSpec[] = [
  { family: 'DejaVu Sans', weight: 'bold' },
  { family: 'DejaVu Sans Mono', weight: 'bold' },
];

let bundledRegistered = false;

/** Path of svg-captcha's bundled TrueType font. */
export function bundledFontPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('svg-captcha/package.json')), 'fonts', 'Comismsh.ttf');
}

/** Registers the bundled font with skia (once). */
export function registerBundledFonts(): void {
  if (bundledRegistered) return;
  bundledRegistered = true;
  if (GlobalFonts.has(BUNDLED_FONT_FAMILY)) return;
  const path = bundledFontPath();
  if (existsSync(path)) GlobalFonts.registerFromPath(path, BUNDLED_FONT_FAMILY);
}

/** Registers a font file under a family name, for use in `fonts` options. */
export function registerFont(path: string, family: string): void {
  if (!existsSync(path)) throw new Error(`font file not found: ${path}`);
  const key = GlobalFonts.registerFromPath(path, family);
  if (!key) throw new Error(`skia could not load the font ${path}`);
}

/** Font families skia can draw with here, sorted. */
export function availableFontFamilies(): string[] {
  registerBundledFonts();
  return [...new Set(GlobalFonts.families.map((f) => f.family))].sort();
}

/**
 * The default font list: DejaVu Sans Bold and DejaVu Sans Mono Bold where
 * they exist (in that fixed order), else Comismsh (bundled). Output is
 * deterministic for a given machine's font set; pass `fonts` explicitly
 * (e.g. `['Comismsh']`) to pin it across machines.
 */
export function defaultFonts(): FontSpec[] {
  registerBundledFonts();
  const found = PREFERRED.filter((f) => GlobalFonts.has(f.family));
  if (found.length > 0) return found;
  return GlobalFonts.has(BUNDLED_FONT_FAMILY) ? [{ family: BUNDLED_FONT_FAMILY }] : [];
}

/** Normalises a font option and checks each family exists (skia would silently substitute another). */
export function resolveFonts(fonts: ReadonlyArray<string | FontSpec> | undefined): FontSpec[] {
  registerBundledFonts();
  if (!fonts) return defaultFonts();
  if (fonts.length === 0) throw new Error('fonts: the list is empty');
  return fonts.map((f) => {
    const spec = typeof f === 'string' ? { family: f } : f;
    if (!GlobalFonts.has(spec.family)) {
      throw new Error(`font family '${spec.family}' is not available; available: ${availableFontFamilies().join(', ')}`);
    }
    return spec;
  });
}

/** The CSS font shorthand for a spec at a pixel size. */
export function cssFont(spec: FontSpec, size: number): string {
  return `${spec.style ?? 'normal'} ${spec.weight ?? 'normal'} ${size}px "${spec.family}"`;
}
