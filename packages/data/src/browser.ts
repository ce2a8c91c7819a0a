/**
 * @captcha-nn/data for browsers and Web Workers: the generators, labels and
 * image helpers without Node's modules, drawing on OffscreenCanvas. Load the
 * fonts the generator should use with loadFont (DejaVu Sans Bold and DejaVu
 * Sans Mono Bold give the same settings as Node's default fonts).
 */
import { hasCanvasFactory, setCanvasFactory } from './canvas';
import { offscreenCanvasFactory } from './canvasBrowser';

if (!hasCanvasFactory()) setCanvasFactory(offscreenCanvasFactory);

export { offscreenCanvasFactory, loadFont } from './canvasBrowser';
export { setCanvasFactory, canvasFactory, type CanvasFactory, type CanvasLike, type Context2D } from './canvas';
export { fromRGBA, toRGBA, parseColor, normalizeImage, normalizeInto } from './image';
export { lightenBackground, withPolarity, type Polarity, type PixelBox } from './polarity';
export { containBox, fittedBox, fitRGBA, FITS, type Fit } from './fit';
export type { ImageBuffer, PixelFormat, Normalization, RGBA } from './image';
export { createRng, permutation, type Rng } from './random';
export { SIMPLE_CAPTCHA_CHARSET, produceText, lengthRange, generateSample } from './generator';
export type { CaptchaGenerator, RenderedCaptcha, Sample, SampleOptions, TextOptions, LengthSpec } from './generator';
export { CaptchaBuilder, SimpleCaptchaGenerator, simplePreset, SIMPLE_PRESETS } from './simple/builder';
export type { Recipe, Step, SimpleCaptchaConfig, SimplePreset, PresetOptions } from './simple/builder';
export { availableFontFamilies, defaultFonts, simpleCaptchaFontPairs, BUNDLED_FONT_FAMILY, type FontSpec } from './fonts';
export { LabelEncoder } from './charset';
