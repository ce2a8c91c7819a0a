/**
 * IDX datasets (MNIST's format: train-images-idx3-ubyte, train-labels-idx1-ubyte,
 * t10k-images-…, t10k-labels-…, raw or gzipped) as a run's data: the
 * training split for training, the official test split for validation and
 * `eval`. Named datasets (`mnist`, `fashion-mnist`) are registered by the
 * package that knows where their files are, so this package depends on none.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IdxDataset, checkCropFlip, cropFlipSource, subset, type CropFlipOptions, type ImageSource } from '@captcha-nn/data';

/** Images from an IDX dataset: a registered one by name, or a folder. */
export interface IdxDataSpec {
  kind: 'idx';
  /** A registered dataset (`registerIdxDataset`); the folder is its `dir()`. */
  dataset?: string;
  /** A folder holding the four IDX files (when no `dataset` is named). */
  dir?: string;
  /** Pad-and-crop shift in pixels for training images (default: the dataset's, else 0). */
  crop?: number;
  /** Mirror training images left to right half the time (default: the dataset's, else false). */
  flip?: boolean;
  /** Train on the first `trainSize` training images only (default all). */
  trainSize?: number;
  /** Validate on the first `valSize` test images only (default all). */
  valSize?: number;
}

export interface IdxDatasetEntry {
  /** The folder of the four IDX files; throws saying how to install them when they are missing. */
  dir(): string;
  /** The standard augmentation for this dataset. */
  augment: CropFlipOptions;
  /** One line on what it is and where it comes from. */
  description: string;
}

const datasets = new Map<string, IdxDatasetEntry>();

/** Adds (or replaces) a named IDX dataset for `--dataset NAME`. */
export function registerIdxDataset(name: string, entry: IdxDatasetEntry): void {
  datasets.set(name, entry);
}

export function listIdxDatasets(): Array<{ name: string; description: string }> {
  return [...datasets].map(([name, e]) => ({ name, description: e.description })).sort((a, b) => a.name.localeCompare(b.name));
}

function entryOf(name: string): IdxDatasetEntry {
  const e = datasets.get(name);
  if (!e) {
    const known = listIdxDatasets().map((d) => d.name);
    throw new Error(`unknown dataset '${name}' (known: ${known.length ? known.join(', ') : 'none registered'}; or pass --data-idx DIR)`);
  }
  return e;
}

/** The spec's folder, its standard augmentation, and a name for the log. */
export function resolveIdxSpec(spec: IdxDataSpec): { dir: string; augment: CropFlipOptions; name: string } {
  if (spec.dataset !== undefined && spec.dir !== undefined) throw new Error('an IDX data spec names either a dataset or a folder, not both');
  if (spec.dataset !== undefined) {
    const e = entryOf(spec.dataset);
    return { dir: e.dir(), augment: { pad: spec.crop ?? e.augment.pad, flip: spec.flip ?? e.augment.flip }, name: spec.dataset };
  }
  if (spec.dir === undefined) throw new Error('an IDX data spec needs a dataset name or a folder');
  return { dir: resolve(spec.dir), augment: { pad: spec.crop ?? 0, flip: spec.flip ?? false }, name: spec.dir };
}

/** The image and label files of a split (`train` or `t10k`), raw or gzipped; an error lists what is missing. */
export function idxSplitFiles(dir: string, split: 'train' | 't10k'): { images: string; labels: string } {
  const find = (stem: string) => {
    const candidates = [stem, `${stem}.gz`, stem.replace(/-idx(\d)-/, '.idx$1-')].map((f) => join(dir, f));
    const found = candidates.find((p) => existsSync(p));
    if (!found) throw new Error(`${dir}: no ${stem} (or ${stem}.gz): an IDX dataset folder holds train-* and t10k-* image and label files`);
    return found;
  };
  return { images: find(`${split}-images-idx3-ubyte`), labels: find(`${split}-labels-idx1-ubyte`) };
}

/** A split of the spec's dataset. */
export async function openIdxSplit(spec: IdxDataSpec, split: 'train' | 't10k'): Promise<IdxDataset> {
  const { dir } = resolveIdxSpec(spec);
  const f = idxSplitFiles(dir, split);
  return IdxDataset.open(f.images, f.labels);
}

function firstOf(source: ImageSource, n: number | undefined, what: string): ImageSource {
  if (n === undefined || n >= source.size) return source;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${n}`);
  return subset(
    source,
    Int32Array.from({ length: n }, (_, i) => i),
  );
}

export interface IdxRunSources {
  trainSource(epoch: number): ImageSource;
  train: ImageSource;
  validation: ImageSource;
  description: string;
}

/** The training split (shifted and mirrored anew each epoch, seeded) and the test split for validation. */
export async function openIdxRun(spec: IdxDataSpec, seed: string): Promise<IdxRunSources> {
  const { augment, name } = resolveIdxSpec(spec);
  const [trainAll, testAll] = await Promise.all([openIdxSplit(spec, 'train'), openIdxSplit(spec, 't10k')]);
  if (trainAll.width !== testAll.width || trainAll.height !== testAll.height || trainAll.channels !== testAll.channels)
    throw new Error(`${name}: the training images are ${trainAll.width}x${trainAll.height}, the test images ${testAll.width}x${testAll.height}`);
  checkCropFlip(augment, trainAll.width, trainAll.height);
  const train = firstOf(trainAll, spec.trainSize, 'trainSize');
  const validation = firstOf(testAll, spec.valSize, 'valSize');
  const moves = [...(augment.pad > 0 ? [`shifted up to ${augment.pad} px`] : []), ...(augment.flip ? ['mirrored'] : [])];
  const jitter = moves.length ? `${moves.join(' and ')} each epoch` : 'not augmented';
  return {
    trainSource: (epoch) => cropFlipSource(train, augment, { seed, epoch }),
    train,
    validation,
    description:
      `${name}: ${train.size} training images ${train.width}x${train.height} (${jitter}); ` +
      `validation on ${validation.size === testAll.size ? 'the official test split' : `the first ${validation.size} of the official test split`}, ${validation.size} images`,
  };
}
