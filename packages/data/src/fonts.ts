import { canvasFactory } from './canvas';

/** A font for the word renderer: a family the canvas knows, with weight and style. */
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

/** Font families the installed canvas factory can draw with here, sorted. */
export function availableFontFamilies(): string[] {
  return [...new Set(canvasFactory().families())].sort();
}

/**
 * The default font list: DejaVu Sans Bold and DejaVu Sans Mono Bold where
 * they exist (in that fixed order), else Comismsh (bundled). Output is
 * deterministic for a given machine's font set; pass `fonts` explicitly
 * (e.g. `['Comismsh']`) to pin it across machines.
 */
export function defaultFonts(): FontSpec[] {
  const canvas = canvasFactory();
  const found = PREFERRED.filter((f) => canvas.hasFont(f.family));
  if (found.length > 0) return found;
  return canvas.hasFont(BUNDLED_FONT_FAMILY) ? [{ family: BUNDLED_FONT_FAMILY }] : [];
}

/** Normalises a font option and checks each family exists (the canvas would silently substitute another). */
export function resolveFonts(fonts: ReadonlyArray<string | FontSpec> | undefined): FontSpec[] {
  if (!fonts) return defaultFonts();
  if (fonts.length === 0) throw new Error('fonts: the list is empty');
  return fonts.map((f) => {
    const spec = typeof f === 'string' ? { family: f } : f;
    if (!canvasFactory().hasFont(spec.family)) {
      throw new Error(`font family '${spec.family}' is not available; available: ${availableFontFamilies().join(', ')}`);
    }
    return spec;
  });
}

/** The CSS font shorthand for a spec at a pixel size. */
export function cssFont(spec: FontSpec, size: number): string {
  return `${spec.style ?? 'normal'} ${spec.weight ?? 'normal'} ${size}px "${spec.family}"`;
}
