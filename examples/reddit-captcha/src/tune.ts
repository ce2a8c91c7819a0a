import type { Module } from '@captcha-nn/core';
import type { LabelEncoder } from '@captcha-nn/data';
import { evaluateVotes, letterReader } from './evaluate';
import { REDDIT_SEGMENTATION, type SegmentOptions } from './segment';

/** The settings `tune` tries, each over these values (the others held at the best so far). */
export type TuningGrid = { [K in keyof SegmentOptions]?: ReadonlyArray<SegmentOptions[K]> };

/** Around the hand-set values: the denoise intensity, the size limits, and what to do with too many segments. */
export const SEGMENTATION_GRID: TuningGrid = {
  threshold: [170, 190, 210, 220, 230, 240, 250],
  minArea: [6, 12, 20, 30],
  minCore: [1, 4, 8, 12],
  splitWidth: [16, 19, 22, 25],
  trimExtra: [false, true],
  minWidth: [2, 4],
  maxWidth: [20, 24, 28],
  minHeight: [5, 7, 9, 11],
  maxHeight: [20, 24, 28],
};

/** One setting's figures on the held-out renders. */
export interface TuningTrial {
  options: SegmentOptions;
  /** One render's whole captcha right (dropped renders count wrong): what `tune` maximises. */
  captcha: number;
  /** One render's letters right, over the renders that segmented. */
  letters: number;
  dropRate: number;
}

export interface TuningResult {
  best: TuningTrial;
  /** The starting values' figures. */
  start: TuningTrial;
  trials: TuningTrial[];
  passes: number;
}

export interface TuneOptions {
  grid?: TuningGrid;
  start?: SegmentOptions;
  /** Passes over the grid; it stops early after a pass that changes nothing (default 2). */
  maxPasses?: number;
  /** Renders of each held-out text to read (default 1). */
  renders?: number;
  /** Called after each new setting is scored. */
  onTrial?: (t: TuningTrial) => void;
}

/** The figures of one setting, from a scoring function. */
export type TrialScore = Omit<TuningTrial, 'options'>;

const better = (a: TrialScore, b: TrialScore) => a.captcha > b.captcha || (a.captcha === b.captcha && a.letters > b.letters);

/**
 * Coordinate ascent over a grid: each setting in turn takes the value that
 * scores best (most captchas, then most letters), the others held at the
 * best so far; a setting already scored is not scored again. Stops after a
 * pass that changes nothing, or after `maxPasses`.
 */
export async function coordinateAscent(score: (o: SegmentOptions) => Promise<TrialScore>, opts: TuneOptions = {}): Promise<TuningResult> {
  const grid = opts.grid ?? SEGMENTATION_GRID;
  const maxPasses = opts.maxPasses ?? 2;
  if (!(Number.isInteger(maxPasses) && maxPasses >= 1)) throw new RangeError(`coordinateAscent: maxPasses must be a positive integer, got ${maxPasses}`);
  const trials: TuningTrial[] = [];
  const tried = new Map<string, TuningTrial>();
  const trial = async (options: SegmentOptions): Promise<TuningTrial> => {
    const key = JSON.stringify(options);
    const seen = tried.get(key);
    if (seen) return seen;
    const t = { options, ...(await score(options)) };
    tried.set(key, t);
    trials.push(t);
    opts.onTrial?.(t);
    return t;
  };
  const start = await trial(opts.start ?? REDDIT_SEGMENTATION);
  let best = start;
  let passes = 0;
  while (passes < maxPasses) {
    passes++;
    const before = best;
    for (const [name, values] of Object.entries(grid) as Array<[keyof SegmentOptions, ReadonlyArray<number | boolean>]>) {
      for (const v of values) {
        const t = await trial({ ...best.options, [name]: v });
        if (better(t, best)) best = t;
      }
    }
    if (best === before) break;
  }
  return { best, start, trials, passes };
}

/**
 * Tunes the segmentation on held-out renders (texts in neither the training
 * nor the test set) by coordinate ascent, scoring each setting by the share
 * of whole captchas a letter model reads from one render (a dropped render
 * counts wrong). One render's accuracy weighs the drop rate and the letters
 * read together, and unlike votes over many renders it is far from 100%.
 */
export function tuneSegmentation(model: Module, encoder: LabelEncoder, dataDir: string, opts: TuneOptions = {}): Promise<TuningResult> {
  return coordinateAscent(async (options) => {
    const e = await evaluateVotes(letterReader(model, options), encoder, dataDir, { ks: [1], renders: opts.renders, positions: options.letters });
    return { captcha: e.byK[0]!.accuracy, letters: e.letterAccuracy, dropRate: e.dropRate };
  }, opts);
}

/** The settings that differ from `base`, as `name: value` pairs. */
export function changedSettings(options: SegmentOptions, base: SegmentOptions = REDDIT_SEGMENTATION): string {
  const changed = (Object.keys(options) as Array<keyof SegmentOptions>).filter((k) => options[k] !== base[k]).map((k) => `${k}: ${options[k]}`);
  return changed.length > 0 ? changed.join(', ') : 'none';
}
