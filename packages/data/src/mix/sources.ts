/**
 * The mix generator's sources: each draws a text of a given length from the
 * charset and renders it, all randomness from one PRNG. Those that draw at
 * another size than the mix's output say so (the mix fits them).
 */
import type { FontSpec } from '../fonts';
import { produceText } from '../generator';
import { pick, randFloat, randInt, type Rng } from '../random';
import type { RedditCaptchaGenerator } from '../reddit/generator';
import { CaptchaBuilder } from '../simple/builder';
import type { BackgroundSpec } from '../simple/effects';
import { SvgCaptchaGenerator } from '../svg';
import { drawScheme, inkPalette, squigglePair } from './colors';
import { fontVariant, type PlainRenderer } from './plain';

/** Where a mix sample comes from. */
export const MIX_SOURCES = ['simple', 'svg', 'reddit', 'plain'] as const;
export type MixSource = (typeof MIX_SOURCES)[number];

/** What the sources share: the mix's output size, charset and fonts. */
export interface SourceContext {
  width: number;
  height: number;
  charset: string;
  fonts: readonly FontSpec[];
}

/** A source's image (unpremultiplied RGBA, `width`x`height`) and its label. */
export interface Drawn {
  rgba: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  label: string;
}

/**
 * Our SimpleCaptcha builder with settings drawn per sample: 1–3 fonts,
 * sizes, ink colours, rotation, jitter and spacing; a transparent, flat,
 * gradiated or squiggles background; 0–2 curved or straight lines; and
 * some of drop shadow, ripple, shear, fish-eye, block pixelation and a border.
 * Drawn at the output size (the text shrunk to fit).
 */
export function drawSimple(c: SourceContext, length: number, rng: Rng): Drawn {
  const { width: W, height: H } = c;
  const scheme = drawScheme(rng);
  const fonts = Array.from({ length: randInt(rng, 1, 3) }, () => fontVariant(rng, pick(rng, c.fonts)));
  const size = Math.round(H * randFloat(rng, 0.5, 0.75));
  const b = new CaptchaBuilder(W, H).addText(
    { charset: c.charset, length },
    {
      fonts,
      fontSize: [size, Math.round(size * randFloat(rng, 1, 1.2))],
      colors: inkPalette(rng, scheme),
      rotation: randInt(rng, 0, 20),
      jitterY: H * randFloat(rng, 0, 0.06),
      spacing: randInt(rng, -1, 3),
      fit: true,
      xOffset: randFloat(rng, 0.03, 0.08),
      yOffset: randFloat(rng, 0.18, 0.3),
    },
  );
  const backgrounds: BackgroundSpec[] = [
    { type: 'flat', color: scheme.background(rng) },
    { type: 'gradiated', from: scheme.background(rng), to: scheme.background(rng) },
    { type: 'squiggles', ...squigglePair(rng, scheme.dark) },
    // Transparent ends up white: only under dark ink.
    ...(scheme.dark ? [] : [{ type: 'transparent' } as const]),
  ];
  b.addBackground(pick(rng, backgrounds));
  if (rng() < 0.2) b.gimp({ type: 'dropShadow', radius: 2, distance: 2, opacity: 0.5 });
  for (let i = randInt(rng, 0, 2); i > 0; i--) {
    b.addNoise(
      rng() < 0.5
        ? { type: 'curvedLine', color: scheme.ink(rng), width: randInt(rng, 1, 3) }
        : { type: 'straightLine', color: scheme.ink(rng), thickness: randInt(rng, 1, 3) },
    );
  }
  if (rng() < 0.5) b.gimp({ type: 'ripple', randomPhase: true, xAmplitude: randFloat(rng, 1, 3), yAmplitude: randFloat(rng, 1, 2.5) });
  if (rng() < 0.25) b.gimp({ type: 'shear', scale: randFloat(rng, 0.2, 0.5), color: 'transparent' });
  if (rng() < 0.15) b.gimp({ type: 'fishEye', hColor: scheme.ink(rng), vColor: scheme.ink(rng), spacing: randInt(rng, 7, 12) });
  if (rng() < 0.1) b.gimp({ type: 'block', blockSize: 2 });
  if (rng() < 0.15) b.addBorder(scheme.ink(rng));
  // The builder draws its text and effects from its own seeded stream, keyed here by this sample's PRNG.
  const { rgba, label } = b.build({ seed: Math.floor(rng() * 2 ** 32) }).render(0);
  return { rgba, width: W, height: H, label };
}

/**
 * svg-captcha (its bundled font, drawn as paths) with random font size,
 * noise curves, colour or grey, and a background or none; its own size
 * follows the text (about half the font size per character), so the mix
 * fits it (shrunk if larger, padded).
 */
export function drawSvg(c: SourceContext, length: number, rng: Rng): Drawn {
  const label = produceText(rng, c.charset, length);
  const fontSize = randInt(rng, 40, 64);
  const height = Math.round(fontSize * randFloat(rng, 0.9, 1.25));
  const width = Math.round((length + 1) * fontSize * randFloat(rng, 0.42, 0.6));
  const scheme = drawScheme(rng);
  const gen = new SvgCaptchaGenerator({
    width,
    height,
    fontSize,
    noise: randInt(rng, 0, 4),
    color: rng() < 0.6,
    // svg-captcha picks ink that contrasts with a background it is given.
    ...(rng() < 0.6 ? { background: scheme.background(rng) } : {}),
    charset: c.charset,
    length,
  });
  return { ...gen.renderLabel(label, rng), width, height };
}

/** Reddit's renderer (120x50, white on black, grid and sine warps, Vera Sans Bold 18 px), for texts that fit its width. */
export function drawReddit(reddit: RedditCaptchaGenerator, c: SourceContext, length: number, rng: Rng): Drawn {
  const label = produceText(rng, c.charset, length);
  return { ...reddit.renderLabel(label, rng), width: reddit.width, height: reddit.height };
}

/** The plain canvas style (see PlainRenderer), at the output size. */
export function drawPlain(plain: PlainRenderer, c: SourceContext, length: number, rng: Rng): Drawn {
  const label = produceText(rng, c.charset, length);
  return { rgba: plain.render(label, c.fonts, rng), width: c.width, height: c.height, label };
}
