import { pick, randFloat, type Rng } from '../random';

/**
 * '#rrggbb' of a hue (degrees), saturation and lightness (0..1). The mix
 * quantises all three (hue in 15° steps, the others in steps of 0.05), so it
 * draws from a few thousand colour strings only: parseColor caches every
 * string it is given, and a training run draws millions of colours.
 */
export function hslColor(hue: number, saturation: number, lightness: number): string {
  const h = (Math.round(hue / 15) * 15) % 360;
  const s = Math.round(saturation * 20) / 20;
  const l = Math.round(lightness * 20) / 20;
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** Lightness ranges of a colour scheme's background and ink, far enough apart to read. */
export interface ColorScheme {
  /** True for light ink on a dark background. */
  dark: boolean;
  background(rng: Rng): string;
  ink(rng: Rng): string;
}

const LIGHT: readonly [number, number] = [0.72, 0.98];
const DARK: readonly [number, number] = [0.04, 0.38];

function colorIn(rng: Rng, lightness: readonly [number, number]): string {
  // Grey a quarter of the time, else a random hue at a random saturation.
  const s = rng() < 0.25 ? 0 : randFloat(rng, 0.2, 0.9);
  return hslColor(randFloat(rng, 0, 360), s, randFloat(rng, lightness[0], lightness[1]));
}

/** Dark ink on a light background (80%) or light ink on a dark one (20%). */
export function drawScheme(rng: Rng): ColorScheme {
  const dark = rng() < 0.2;
  const bg = dark ? DARK : LIGHT;
  const ink = dark ? LIGHT : DARK;
  return { dark, background: (r) => colorIn(r, bg), ink: (r) => colorIn(r, ink) };
}

/** 1 to `max` ink colours of a scheme (one colour for the whole text half the time). */
export function inkPalette(rng: Rng, scheme: ColorScheme, max = 3): string[] {
  const n = rng() < 0.5 ? 1 : 1 + Math.floor(rng() * max);
  return Array.from({ length: n }, () => scheme.ink(rng));
}

/**
 * Squiggle colour and background for a scheme, from a few fixed pairs:
 * SimpleCaptcha's squiggles are drawn once per spec and size and cached.
 */
export function squigglePair(rng: Rng, dark: boolean): { color: string; background: string } {
  const pairs = dark
    ? [
        ['#505050', '#181818'],
        ['#3a4a66', '#101828'],
        ['#5a4030', '#201410'],
      ]
    : [
        ['#b0b0b0', '#f0f0f0'],
        ['#a8c0e0', '#f4f8ff'],
        ['#d8c0a0', '#fff8f0'],
      ];
  const [color, background] = pick(rng, pairs)!;
  return { color: color!, background: background! };
}
