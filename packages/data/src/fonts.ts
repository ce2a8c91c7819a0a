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
 * Preferred defaults, in order of preference, as pairs: SimpleCaptcha's
 * DefaultWordRenderer draws each character in Arial Bold or Courier Bold
 * (chosen per character), 40 px. Liberation Sans and Liberation Mono (Debian
 * fonts-liberation) are metric-compatible with Arial and Courier New, so their
 * glyph widths, and so the layout, match; DejaVu Sans / Sans Mono Bold are the
 * next-best stand-ins (most Linux systems have them).
 */
const PREFERRED: FontSpec[][] = [
  [
    { family: 'Liberation Sans', weight: 'bold' },
    { family: 'Liberation Mono', weight: 'bold' },
  ],
  [
    { family: 'DejaVu Sans', weight: 'bold' },
    { family: 'DejaVu Sans Mono', weight: 'bold' },
  ],
];

/**
 * Font families of Debian font packages, and the package that installs each
 * (for error messages, and the fonts the mix generator looks for).
 */
export const DEBIAN_FONTS: Readonly<Record<string, string>> = {
  'DejaVu Sans': 'fonts-dejavu-core',
  'DejaVu Sans Mono': 'fonts-dejavu-core',
  'DejaVu Serif': 'fonts-dejavu-core',
  'Liberation Sans': 'fonts-liberation',
  'Liberation Serif': 'fonts-liberation',
  'Liberation Mono': 'fonts-liberation',
  'Bitstream Vera Sans': 'ttf-bitstream-vera',
  'Bitstream Vera Sans Mono': 'ttf-bitstream-vera',
  'Bitstream Vera Serif': 'ttf-bitstream-vera',
  // With Vera, these packages hold Gregwar/Captcha's eight fonts (php-gregwar-captcha depends on them).
  Lato: 'fonts-lato',
  Cantarell: 'fonts-cantarell',
  Quicksand: 'fonts-quicksand',
  'Linux Libertine O': 'fonts-linuxlibertine',
  'Linux Biolinum O': 'fonts-linuxlibertine',
  'Radis Sans': 'fonts-radisnoir',
  Summersby: 'fonts-summersby',
  StayPuft: 'fonts-staypuft',
  FreeSans: 'fonts-freefont-ttf',
  FreeSerif: 'fonts-freefont-ttf',
  FreeMono: 'fonts-freefont-ttf',
  'Open Sans': 'fonts-open-sans',
  'Comic Neue': 'fonts-comic-neue',
  Carlito: 'fonts-crosextra-carlito',
  Caladea: 'fonts-crosextra-caladea',
  Inconsolata: 'fonts-inconsolata',
};

/** The families of DEBIAN_FONTS the canvas can draw with here, in the table's order. */
export function installedDebianFonts(): string[] {
  const canvas = canvasFactory();
  return Object.keys(DEBIAN_FONTS).filter((f) => canvas.hasFont(f));
}

/** Why a family cannot be used: its Debian package when known, and what is available. */
export function missingFontMessage(family: string): string {
  const pkg = DEBIAN_FONTS[family];
  return `font family '${family}' is not available (${pkg ? `Debian: apt-get install ${pkg}` : 'register it with registerFont(path, family)'}); available: ${availableFontFamilies().join(', ')}`;
}

/** Font families the installed canvas factory can draw with here, sorted. */
export function availableFontFamilies(): string[] {
  return [...new Set(canvasFactory().families())].sort();
}

/**
 * The default font list: Liberation Sans Bold and Liberation Mono Bold (the
 * stand-ins for SimpleCaptcha's Arial and Courier) where both exist, else
 * DejaVu Sans Bold and DejaVu Sans Mono Bold, else whichever single font of
 * those pairs exists, else Comismsh (bundled). Output is deterministic for a
 * given machine's font set; pass `fonts` explicitly (e.g. `['Comismsh']`) to
 * pin it across machines.
 */
export function defaultFonts(): FontSpec[] {
  const canvas = canvasFactory();
  const pair = PREFERRED.find((p) => p.every((f) => canvas.hasFont(f.family)));
  if (pair) return pair;
  const found = PREFERRED.flat().filter((f) => canvas.hasFont(f.family));
  if (found.length > 0) return found.slice(0, 2);
  return canvas.hasFont(BUNDLED_FONT_FAMILY) ? [{ family: BUNDLED_FONT_FAMILY }] : [];
}

/**
 * The font pairs SimpleCaptcha draws in, one per kind of machine that runs it: `new Font("Arial", BOLD, 40)`
 * and `new Font("Courier", BOLD, 40)` find Arial and Courier where they are installed (here their metric twins,
 * Liberation Sans and Mono Bold), and elsewhere Java falls back to its logical fonts Dialog and Monospaced, on
 * Linux DejaVu Sans Bold and DejaVu Sans Mono Bold (Debian's OpenJDK with its default fonts). The pairs whose
 * fonts the canvas has, in that order; empty when it has neither pair.
 */
export function simpleCaptchaFontPairs(): FontSpec[][] {
  const canvas = canvasFactory();
  return PREFERRED.filter((p) => p.every((f) => canvas.hasFont(f.family)));
}

/** Normalises a font option and checks each family exists (the canvas would silently substitute another). */
export function resolveFonts(fonts: ReadonlyArray<string | FontSpec> | undefined): FontSpec[] {
  if (!fonts) return defaultFonts();
  if (fonts.length === 0) throw new Error('fonts: the list is empty');
  return fonts.map((f) => {
    const spec = typeof f === 'string' ? { family: f } : f;
    if (!canvasFactory().hasFont(spec.family)) {
      throw new Error(missingFontMessage(spec.family));
    }
    return spec;
  });
}

/** The CSS font shorthand for a spec at a pixel size. */
export function cssFont(spec: FontSpec, size: number): string {
  return `${spec.style ?? 'normal'} ${spec.weight ?? 'normal'} ${size}px "${spec.family}"`;
}
