/**
 * @captcha-nn/data: captcha generators (SimpleCaptcha-style, svg-captcha),
 * dataset loaders (folders, IDX) and a batching pipeline to tfjs tensors.
 */

// Node draws with skia; the browser entry (browser.ts) installs OffscreenCanvas instead.
import { hasCanvasFactory, setCanvasFactory } from './canvas';
import { skiaCanvasFactory } from './canvasNode';

if (!hasCanvasFactory()) setCanvasFactory(skiaCanvasFactory);

// Images and randomness
export { fromRGBA, toRGBA, parseColor, normalizeImage, normalizeInto } from './image';
export { encodePng, registerFont, skiaCanvasFactory } from './canvasNode';
export { setCanvasFactory, canvasFactory, type CanvasFactory, type CanvasLike, type Context2D } from './canvas';
export type { ImageBuffer, PixelFormat, Normalization, RGBA } from './image';
export { createRng, withMathRandom, permutation, type Rng } from './random';

// Generators
export { SIMPLE_CAPTCHA_CHARSET, produceText, lengthRange, generateSample, captchaStream } from './generator';
export type { CaptchaGenerator, RenderedCaptcha, Sample, SampleOptions, StreamOptions, TextOptions, LengthSpec } from './generator';
export { CaptchaBuilder, SimpleCaptchaGenerator, simplePreset, SIMPLE_PRESETS } from './simple/builder';
export type { Recipe, Step, SimpleCaptchaConfig, SimplePreset, PresetOptions } from './simple/builder';
export { WordRenderer, type WordRendererOptions } from './simple/words';
export {
  transparent,
  flat,
  gradiated,
  squiggles,
  curvedLine,
  straightLine,
  ripple,
  fishEye,
  shear,
  dropShadow,
  block,
} from './simple/effects';
export type { BackgroundSpec, NoiseSpec, GimpySpec } from './simple/effects';
export { SvgCaptchaGenerator, type SvgCaptchaOptions, type SvgCaptchaNativeOptions } from './svg';
export { RedditCaptchaGenerator, REDDIT_CHARSET, VERA_BOLD_PATH, type RedditCaptchaOptions } from './reddit/generator';
export { applySineWarp, drawSineWarp, type SineWarp } from './reddit/sineWarp';
export { MixCaptchaGenerator, MIX_CHARSET, type MixCaptchaOptions, type MixRendered } from './mix/generator';
export { MIX_SOURCES, type MixSource } from './mix/sources';
export { generateThirdParty, thirdPartyProblem, THIRD_PARTY, THIRD_PARTY_GENERATORS, compareAnswers, answerKey, ANSWER_COMPARES } from './thirdParty';
export type { ThirdPartyGenerator, ThirdPartyInfo, ThirdPartyOptions, AnswerCompare } from './thirdParty';
export {
  availableFontFamilies,
  defaultFonts,
  installedDebianFonts,
  simpleCaptchaFontPairs,
  DEBIAN_FONTS,
  BUNDLED_FONT_FAMILY,
  type FontSpec,
} from './fonts';

// Labels
export { LabelEncoder } from './charset';

// Loading real data
export { decodeImage, decodeImageFile, readImageFile, type DecodeOptions, type ChannelSelection } from './loader/decode';
export { containBox, fittedBox, fitRGBA, FITS, type Fit } from './fit';
export { inspectImage, sniffImageFormat, ImageDecodeError, DEFAULT_MAX_IMAGE_SIZE } from './loader/imageInfo';
export type { ImageInfo, ImageFormat, ImageProblem, InspectOptions } from './loader/imageInfo';
export { labelFromFilename, labelFromRegex, compileLabelRegex, parseLabelLines, parseLabelCsv, type LabelSource } from './loader/labels';
export {
  FolderDataset,
  openFolderDataset,
  expandImagePaths,
  IMAGE_EXTENSIONS,
  folderFingerprint,
} from './loader/folder';
export type { FolderDatasetOptions, FolderFingerprint } from './loader/folder';
export { oddCharactersError, type FolderEntry } from './loader/folderLabels';
export { summarizeSkipped, countSkipped, type SkippedFile, type SkipKind } from './loader/skipped';
export { parseIdx, encodeIdx, readIdx, maybeGunzip, IdxDataset } from './loader/idx';
export type { IdxArray, IdxType, IdxData, IdxDatasetOptions } from './loader/idx';

// Pipeline
export { batches, splitSource, subset, concatSources, generatorSource, cachedSource, DEFAULT_CACHE_BYTES } from './pipeline';
export type { ImageSource, Batch, BatchOptions } from './pipeline';
export { cropFlipImage, cropFlipSource, checkCropFlip, type CropFlipOptions } from './cropFlip';
export { randomEraseImage, randomEraseSource, checkRandomErase, type RandomEraseOptions } from './randomErase';
export { hasDarkBackground, lightenBackground, withPolarity, polaritySource, checkPolarity, POLARITIES, type Polarity, type PixelBox } from './polarity';
export { augmentImage, augmentSource, isAugmentPreset, isIdentityAugment, AUGMENT_PRESETS, type AugmentOptions, type AugmentPreset } from './augment';

// CLI
export { registerGenerateCommand, runGenerate, parseLength, parseSize, parseFontList, FONTS_DEFAULT_HELP, type GenerateOptions } from './cli';
