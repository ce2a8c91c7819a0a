/**
 * Captchas drawn in the browser by the data package's own generator (the
 * `seed` preset, on OffscreenCanvas), with DejaVu Sans Bold and DejaVu Sans
 * Mono Bold (shipped in public/fonts so every machine has them). These were
 * Node's default fonts until issue #18; Node now prefers Liberation Sans/Mono
 * Bold (SimpleCaptcha's Arial and Courier metrics), which a browser uses
 * instead where it has them installed.
 */
import { loadFont, type SimpleCaptchaGenerator, simplePreset } from '@captcha-nn/data/browser';

let fonts: Promise<void> | null = null;

/** Loads the two fonts once (in the page or in a worker: each has its own font set). */
export function loadGeneratorFonts(base: string): Promise<void> {
  fonts ??= Promise.all([
    loadFont(new URL('fonts/DejaVuSans-Bold.ttf', base), 'DejaVu Sans', { weight: 'bold' }),
    loadFont(new URL('fonts/DejaVuSansMono-Bold.ttf', base), 'DejaVu Sans Mono', { weight: 'bold' }),
  ]).then(() => undefined);
  return fonts;
}

/** The seed preset at the model's size and charset; `seed` fixes every image. */
export function seedGenerator(seed: string, o: { width: number; height: number; charset: string; length: number }): SimpleCaptchaGenerator {
  return simplePreset('seed', { width: o.width, height: o.height, charset: o.charset, length: o.length, seed });
}
