/**
 * Where training and evaluation images come from: a labelled folder (any
 * naming the data package reads) or a seeded captcha generator, and the
 * preprocessing that turns them into model inputs.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  AUGMENT_PRESETS,
  LabelEncoder,
  augmentSource,
  cachedSource,
  concatSources,
  checkRandomErase,
  randomEraseSource,
  isAugmentPreset,
  MixCaptchaGenerator,
  SvgCaptchaGenerator,
  generatorSource,
  polaritySource,
  openFolderDataset,
  FolderDataset,
  simplePreset,
  splitSource,
  type CaptchaGenerator,
  type Fit,
  type FolderDatasetOptions,
  type FolderFingerprint,
  type SkippedFile,
  type AugmentPreset,
  type ImageSource,
  type LabelSource,
  type LengthSpec,
  type Polarity,
  type SimplePreset,
} from '@captcha-nn/data';
import { openIdxRun, type IdxDataSpec } from './idxData';
import type { TextLength } from './task';

export type ChannelFormat = 'gray' | 'rgb';

/** The share of a folder held out for validation when neither `val` nor `valSplit` is given. */
export const DEFAULT_VAL_SPLIT = 0.1;

/** Images from a folder. */
export interface FolderDataSpec {
  kind: 'folder';
  dir: string;
  /** Default 'filename' (<label>.png or <anything>_<label>.png). */
  labels?: LabelSource;
  /** Validation folder; otherwise `valSplit` of `dir` (default 0.1; a fine-tune on fewer than 1,000 images: 0). */
  val?: string;
  valSplit?: number;
  /**
   * The input size: images of another size are fitted with 'contain' (shrunk by one factor if larger, aspect
   * ratio kept, centred, padded with white; never stretched or enlarged). Default: the largest width and height
   * in the folder (a folder of one size keeps it).
   */
  size?: { width: number; height: number };
  /**
   * With fit 'scale' and no `size`: the input's height; every image is scaled to it, aspect ratio kept, and the
   * width is the widest image's at that height (a fine-tune of a CTC reader, which takes any width).
   */
  height?: number;
  /**
   * 'contain' (default): an image larger than `size` is shrunk, never enlarged; 'scale': a smaller one is enlarged
   * too, until one side fills the size (aspect ratio kept and padded either way); 'resize': each side scaled to the
   * size, so the aspect ratio is not kept. Saved with the model.
   */
  fit?: Fit;
  charset?: string;
  /** 'keep' (default): labels as written; 'fold': lower-cased (labels written without their case; see the data loader). */
  labelCase?: 'keep' | 'fold';
  /** Without `charset`: this one when it holds every label character (set from an `--init` model). */
  preferCharset?: string;
  /** Any unreadable, truncated, oversized or unlabelled file is an error (default: skipped and reported). */
  strict?: boolean;
  /**
   * Self-training: a folder of unlabelled images of the same scheme. The `--init` model reads them before the run
   * starts, and those read with a confidence of at least `minConfidence` join the training images, labelled with
   * the readings (`PseudoLabeller`; saved in the run folder, so a resumed run trains on the same ones).
   */
  unlabelled?: { dir: string; minConfidence: number };
}

/** Generators training and evaluation can draw from on the fly. */
export const GENERATORS = ['simple', 'svg', 'mix'] as const;
export type GeneratorName = (typeof GENERATORS)[number];

/** Captchas generated on the fly (nothing written to disk). */
export interface GenerateDataSpec {
  kind: 'generate';
  /** 'mix': a randomised mix of the data package's generators (MixCaptchaGenerator), 160x64, 4-8 of 0-9A-Za-z by default. */
  generator: GeneratorName;
  preset?: SimplePreset;
  length?: LengthSpec;
  size?: { width: number; height: number };
  charset?: string;
  /** mix only: the font families it draws with (default: those of the data package's DEBIAN_FONTS installed). */
  fonts?: string[];
  /** Samples per epoch. */
  trainSize: number;
  /** Validation samples (from a generator with the seed `<seed>:val`). */
  valSize: number;
  /** New images every epoch (default); false: the same `trainSize` images each epoch. */
  fresh?: boolean;
}

export type DataSpec = (FolderDataSpec | GenerateDataSpec | IdxDataSpec) & {
  channels?: ChannelFormat;
  /** 'light': images with a dark background are inverted, in training and when the model reads (default 'keep'). */
  polarity?: Polarity;
  /** Jitter for the training images (`augmentSource`), new each epoch; default none (a fine-tune on a folder: light). Validation images are never jittered. */
  augment?: AugmentPreset;
  /** Random erasing (`randomEraseSource`) of the training images: the share erased each epoch, after any jitter; default 0. */
  erase?: number;
};

/** How an image becomes a model input; saved with the model so `predict` does the same. */
export interface Preprocessing {
  /** Pixel format, from RGBA with transparency flattened onto white. */
  channels: ChannelFormat;
  width: number;
  height: number;
  /**
   * How other-sized images are fitted to width×height: 'contain' (models since issue #18: aspect ratio kept,
   * shrunk if larger, centred, padded with white), 'scale' (as 'contain', smaller images enlarged too) or
   * 'resize' (stretched to the size: `--fit resize`, and models from before 'contain').
   */
  fit: Fit;
  /** x / 255. */
  normalize: 'unit';
  matte: 'white';
  /** 'light': an image with a dark background is inverted (polarity.ts). Absent (older models): 'keep'. */
  polarity?: Polarity;
}

/** The data of one run: a training source per epoch, a validation source, labels. */
export interface RunData {
  /** The training images of an epoch (the same source each epoch unless generated fresh). */
  trainSource(epoch: number): ImageSource;
  trainSize: number;
  validation: ImageSource | null;
  encoder: LabelEncoder;
  maxLength: number;
  /** The shortest and longest label trained on: a folder's labels, or what a generator draws. */
  labelLengths: TextLength;
  preprocessing: Preprocessing;
  /** One line describing the data, for the log. */
  description: string;
  /** Folder data: the files left out of training or validation, and why. */
  skipped: SkippedFile[];
  /** Folder data: the training folder's fingerprint, checked when a run resumes. */
  fingerprint?: FolderFingerprint;
  /**
   * The labels to check before training (`Task.labelProblem`), with where each
   * comes from: a folder's every label; for generated data the hardest one
   * the generator can draw (its longest, one character repeated).
   */
  labelsToCheck(): Iterable<{ label: string; where: string }>;
  /** Folder data with `unlabelled`: seconds the `--init` model took to read them (0 when a resumed run reads its saved readings). */
  pseudoLabellingSeconds?: number;
}

/** The spec with its folders as absolute paths, so that a run resumed from another directory reads the same data. */
export function dataSpecWithAbsolutePaths(spec: DataSpec): DataSpec {
  if (spec.kind === 'idx') return spec.dir === undefined ? spec : { ...spec, dir: resolve(spec.dir) };
  if (spec.kind !== 'folder') return spec;
  return {
    ...spec,
    dir: resolve(spec.dir),
    ...(spec.val ? { val: resolve(spec.val) } : {}),
    ...(spec.unlabelled ? { unlabelled: { ...spec.unlabelled, dir: resolve(spec.unlabelled.dir) } } : {}),
  };
}

/** A generator for the spec's settings and a seed. */
export function makeGenerator(spec: Omit<GenerateDataSpec, 'kind' | 'trainSize' | 'valSize'>, seed: string): CaptchaGenerator {
  if (spec.generator === 'mix') {
    return new MixCaptchaGenerator({
      seed,
      ...(spec.size ? { width: spec.size.width, height: spec.size.height } : {}),
      ...(spec.length !== undefined ? { length: spec.length } : {}),
      ...(spec.charset ? { charset: spec.charset } : {}),
      ...(spec.fonts ? { fonts: spec.fonts } : {}),
    });
  }
  if (spec.generator === 'svg') {
    return new SvgCaptchaGenerator({
      seed,
      width: spec.size?.width ?? 200,
      height: spec.size?.height ?? 50,
      length: spec.length ?? 5,
      ...(spec.charset ? { charset: spec.charset } : {}),
    });
  }
  return simplePreset(spec.preset ?? 'seed', {
    seed,
    width: spec.size?.width,
    height: spec.size?.height,
    length: spec.length,
    charset: spec.charset,
  });
}

function folderOptions(spec: DataSpec & FolderDataSpec, channels: ChannelFormat, extra: Partial<FolderDatasetOptions> = {}): FolderDatasetOptions {
  const size = extra.size ?? spec.size;
  return {
    labels: spec.labels ?? 'filename',
    channels,
    polarity: spec.polarity ?? 'keep',
    // Every file is checked at open, so the order a checkpoint indexes is the readable files, and all skips are known up front.
    verify: 'structure',
    ...(spec.strict ? { strict: true } : {}),
    fit: spec.fit ?? 'contain',
    // A given size (the validation and unlabelled folders take the training folder's) replaces the height.
    ...(size ? { size } : spec.height !== undefined ? { height: spec.height } : {}),
    ...(spec.charset ? { charset: spec.charset } : {}),
    ...(spec.labelCase ? { labelCase: spec.labelCase } : {}),
    ...(spec.preferCharset !== undefined ? { preferCharset: spec.preferCharset } : {}),
    ...extra,
  };
}

/** What the labelled folder asks of the readings that label `unlabelled` images: its charset and label lengths. */
export interface PseudoLabelNeeds {
  dir: string;
  minConfidence: number;
  charset: string;
  minLength: number;
  maxLength: number;
}

/**
 * Labels a folder of unlabelled images (run.ts reads them with the `--init` model); returns the `file,label` CSV's
 * path, a line for the log and the seconds the reading took (0 when it read a saved CSV instead).
 */
export type PseudoLabeller = (needs: PseudoLabelNeeds) => Promise<{ csv: string; description: string; seconds: number }>;

/**
 * Opens the run's data. The seed fixes generated images, the validation split and the jitter.
 * `pseudoLabeller` labels a folder spec's `unlabelled` images.
 */
export async function openRunData(spec: DataSpec, seed: string, pseudoLabeller?: PseudoLabeller): Promise<RunData> {
  const preset: string = spec.augment ?? 'none';
  if (!isAugmentPreset(preset)) throw new Error(`unknown augmentation '${preset}' (known: ${Object.keys(AUGMENT_PRESETS).join(', ')})`);
  const erase = { probability: spec.erase ?? 0 };
  checkRandomErase(erase);
  const opened = await openUnaugmented(spec, seed, pseudoLabeller);
  // Validation reads the same images every epoch: draw or decode them once (IDX images are in memory already).
  const data = spec.kind === 'idx' || !opened.validation ? opened : { ...opened, validation: cachedSource(opened.validation) };
  const jitter = (source: ImageSource, epoch: number) => (preset === 'none' ? source : augmentSource(source, AUGMENT_PRESETS[preset], { seed, epoch }));
  const notes = [
    ...(spec.polarity === 'light' ? ['images with a dark background inverted (--polarity light)'] : []),
    ...(preset === 'none' ? [] : [`training images jittered (--augment ${preset})`]),
    ...(erase.probability === 0 ? [] : [`training images randomly erased (--erase ${erase.probability}: one rectangle in that share of them)`]),
  ];
  if (notes.length === 0) return data;
  return {
    ...data,
    trainSource: (epoch) => randomEraseSource(jitter(data.trainSource(epoch), epoch), erase, { seed, epoch }),
    description: `${data.description}; ${notes.join('; ')}`,
  };
}

async function openUnaugmented(spec: DataSpec, seed: string, pseudoLabeller?: PseudoLabeller): Promise<RunData> {
  if (spec.kind === 'idx') return openIdxData(spec, seed);
  if (spec.kind === 'generate') return openGeneratedData(spec, seed);
  return openFolderData(spec, seed, pseudoLabeller);
}

async function openIdxData(spec: Extract<DataSpec, { kind: 'idx' }>, seed: string): Promise<RunData> {
  if ((spec.channels ?? 'gray') !== 'gray') throw new Error('IDX datasets are grayscale: --channels rgb does not apply');
  if ((spec.polarity ?? 'keep') !== 'keep') throw new Error('IDX datasets keep their polarity: --polarity light does not apply');
  const idx = await openIdxRun(spec, seed);
  const { train } = idx;
  if (train.channels !== 1) throw new Error(`IDX images with ${train.channels} channels are not supported (grayscale only)`);
  return {
    trainSource: idx.trainSource,
    trainSize: train.size,
    validation: idx.validation,
    encoder: train.encoder,
    maxLength: 1,
    labelLengths: { min: 1, max: 1 },
    preprocessing: preprocessing('gray', train.width, train.height),
    skipped: [],
    labelsToCheck: () => [],
    description: idx.description,
  };
}

function openGeneratedData(spec: Extract<DataSpec, { kind: 'generate' }>, seed: string): RunData {
  const channels = spec.channels ?? 'gray';
  const gen = makeGenerator(spec, seed);
  const valGen = makeGenerator(spec, `${seed}:val`);
  const format = channels;
  const polarity = spec.polarity ?? 'keep';
  const fresh = spec.fresh ?? true;
  const encoder = new LabelEncoder(gen.charset);
  const validation = spec.valSize > 0 ? polaritySource(generatorSource(valGen, { count: spec.valSize, format }), polarity) : null;
  return {
    trainSource: (epoch) => polaritySource(generatorSource(gen, { count: spec.trainSize, start: fresh ? epoch * spec.trainSize : 0, format }), polarity),
    trainSize: spec.trainSize,
    validation,
    encoder,
    maxLength: gen.maxLength,
    labelLengths: { min: gen.minLength, max: gen.maxLength },
    preprocessing: preprocessing(channels, gen.width, gen.height, polarity),
    skipped: [],
    labelsToCheck: () => {
      const label = [...gen.charset][0]!.repeat(gen.maxLength);
      return [{ label, where: `generated captchas of up to ${gen.maxLength} characters (the hardest for CTC: "${label}")` }];
    },
    description:
      `generated ${spec.generator}${spec.generator === 'simple' ? ` preset ${spec.preset ?? 'seed'}` : ''} captchas, ${gen.width}x${gen.height}, ` +
      `length ${gen.minLength === gen.maxLength ? gen.minLength : `${gen.minLength}-${gen.maxLength}`}, charset "${gen.charset}", ` +
      `${spec.trainSize} ${fresh ? 'new ' : ''}samples per epoch, ${spec.valSize} validation samples`,
  };
}

async function openFolderData(spec: Extract<DataSpec, { kind: 'folder' }>, seed: string, pseudoLabeller?: PseudoLabeller): Promise<RunData> {
  const channels = spec.channels ?? 'gray';
  const ds = await openFolderDataset(spec.dir, folderOptions(spec, channels));
  let train: ImageSource = ds;
  let validation: ImageSource | null = null;
  let valDesc: string;
  if (spec.val) {
    const vs = await openFolderDataset(
      spec.val,
      folderOptions(spec, channels, { charset: ds.charset, maxLength: ds.maxLength, size: { width: ds.width, height: ds.height } }),
    );
    validation = vs;
    valDesc = `${vs.size} validation images in ${spec.val}`;
  } else {
    const split = spec.valSplit ?? DEFAULT_VAL_SPLIT;
    if (split > 0) {
      const s = splitSource(ds, { validation: split, seed });
      if (s.train.size === 0) throw new Error(`--val-split ${split} leaves no training images (${ds.size} in ${spec.dir})`);
      train = s.train;
      validation = s.validation.size > 0 ? s.validation : null;
    }
    valDesc = validation ? `${validation.size} of them held out for validation (--val-split ${split})` : 'no validation';
  }
  const skipped = [
    ...ds.skipped,
    ...(validation instanceof FolderDataset && validation !== ds ? validation.skipped.map((f) => ({ ...f, file: join(spec.val!, f.file) })) : []),
  ];
  const pool = spec.unlabelled ? await openPseudoLabelled(spec, ds, channels, pseudoLabeller) : null;
  if (pool) {
    train = concatSources(train, pool.dataset);
    skipped.push(...pool.skipped);
  }
  return {
    trainSource: () => train,
    trainSize: train.size,
    validation,
    encoder: ds.encoder,
    maxLength: ds.maxLength,
    labelLengths: labelLengthsOf([ds, ...(validation instanceof FolderDataset && validation !== ds ? [validation] : [])]),
    preprocessing: preprocessing(channels, ds.width, ds.height, spec.polarity ?? 'keep', spec.fit),
    skipped,
    labelsToCheck: function* () {
      for (const e of ds.entries) yield { label: e.label, where: join(ds.dir, e.file) };
      if (validation instanceof FolderDataset && validation !== ds)
        for (const e of validation.entries) yield { label: e.label, where: join(validation.dir, e.file) };
      if (pool) for (const e of pool.dataset.entries) yield { label: e.label, where: `${join(pool.dataset.dir, e.file)} (read by the --init model)` };
    },
    fingerprint: pool ? combinedFingerprint(await ds.fingerprint(), await pool.dataset.fingerprint()) : await ds.fingerprint(),
    description:
      `${ds.size} images in ${spec.dir} (${ds.skippedSummary()}), ${ds.width}x${ds.height} (${ds.sizeFrom}; other sizes ${FIT_WORDS[spec.fit ?? 'contain']}), charset "${ds.charset}", up to ${ds.maxLength} characters; ${valDesc}` +
      (validation instanceof FolderDataset && validation.skipped.length ? ` (${validation.skippedSummary()})` : '') +
      (pool ? `; ${pool.description}` : ''),
    ...(pool ? { pseudoLabellingSeconds: pool.seconds } : {}),
  };
}

/**
 * The unlabelled folder's images that the pseudo-labeller labels, prepared as the labelled ones (size, charset,
 * label width), and its unreadable files. The images it leaves unlabelled are not reported as skipped: the
 * labeller's line counts them.
 */
/** The shortest and longest label of the folders' entries (in characters, not UTF-16 units). */
function labelLengthsOf(folders: FolderDataset[]): TextLength {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const f of folders)
    for (const e of f.entries) {
      const n = [...e.label].length;
      if (n < min) min = n;
      if (n > max) max = n;
    }
  return max === 0 ? { min: 1, max: 1 } : { min, max };
}

async function openPseudoLabelled(
  spec: Extract<DataSpec, { kind: 'folder' }>,
  ds: FolderDataset,
  channels: ChannelFormat,
  pseudoLabeller: PseudoLabeller | undefined,
): Promise<{ dataset: FolderDataset; skipped: SkippedFile[]; description: string; seconds: number }> {
  const { dir, minConfidence } = spec.unlabelled!;
  if (!pseudoLabeller) throw new Error(`unlabelled images (${dir}) need a model to read them: train with --init MODEL`);
  const lengths = labelLengthsOf([ds]);
  const { csv, description, seconds } = await pseudoLabeller({
    dir,
    minConfidence,
    charset: ds.charset,
    minLength: lengths.min,
    maxLength: lengths.max,
  });
  const dataset = await openFolderDataset(
    dir,
    folderOptions({ ...spec, labels: { file: csv, format: 'csv' }, strict: false }, channels, {
      charset: ds.charset,
      maxLength: ds.maxLength,
      size: { width: ds.width, height: ds.height },
    }),
  );
  const skipped = dataset.skipped.filter((f) => f.kind !== 'unlabelled').map((f) => ({ ...f, file: join(dir, f.file) }));
  return { dataset, skipped, description, seconds };
}

/** One fingerprint for the labelled and the pseudo-labelled folder (with its labels file): resume checks both. */
function combinedFingerprint(a: FolderFingerprint, b: FolderFingerprint): FolderFingerprint {
  const hash = createHash('sha256').update(`${a.hash}\n${b.hash}\n`).digest('hex');
  return { files: a.files + b.files, bytes: a.bytes + b.bytes, hash };
}

/** How the data line says a folder's other-sized images were fitted. */
const FIT_WORDS: Record<Fit, string> = {
  contain: 'shrunk if larger, aspect ratio kept, and padded',
  scale: 'shrunk or enlarged until one side fills it, aspect ratio kept, and padded',
  resize: 'stretched to it, aspect ratio not kept',
};

function preprocessing(channels: ChannelFormat, width: number, height: number, polarity: Polarity = 'keep', fit: Fit = 'contain'): Preprocessing {
  return { channels, width, height, fit, normalize: 'unit', matte: 'white', ...(polarity === 'keep' ? {} : { polarity }) };
}

/**
 * A folder of labelled images prepared as a model expects (for eval): every
 * image fitted to the model's input size, the model's charset. Bad files are
 * skipped and reported in `skipped`, or with `strict` an error naming the file.
 */
export async function openEvalFolder(
  dir: string,
  prep: Preprocessing,
  charset: string,
  maxLength: number,
  opts: { labels?: LabelSource; strict?: boolean; labelCase?: 'keep' | 'fold' } = {},
): Promise<FolderDataset> {
  return openFolderDataset(dir, {
    labels: opts.labels ?? 'filename',
    channels: prep.channels,
    polarity: prep.polarity ?? 'keep',
    charset,
    maxLength,
    size: { width: prep.width, height: prep.height },
    // As the model was trained: older models recorded 'resize'.
    fit: prep.fit ?? 'resize',
    verify: 'structure',
    ...(opts.labelCase ? { labelCase: opts.labelCase } : {}),
    ...(opts.strict ? { strict: true } : {}),
  });
}
