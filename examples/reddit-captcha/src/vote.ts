import { ctcLogLikelihood } from '@captcha-nn/core';

/**
 * One render as a model read it: its own answer, and how likely it finds
 * any text, so that renders of the same text can vote.
 */
export interface RenderReading {
  /** The render's own reading (class ids). */
  readonly ids: Int32Array;
  /** log p(text | render). */
  logLikelihood(ids: ArrayLike<number>): number;
  /**
   * Models that read by position (letters, fixed-length text models): the
   * [positions × classes] log-probabilities, whose per-position sums give
   * the exact vote.
   */
  readonly positional?: Float32Array;
}

/** A reading from per-position log-probabilities [positions × classes]. */
export function positionalReading(logProbs: Float32Array, positions: number, classes: number): RenderReading {
  if (logProbs.length !== positions * classes)
    throw new Error(`positionalReading: a render has ${logProbs.length} log-probabilities, expected ${positions}x${classes}`);
  return {
    ids: argmaxPerPosition(logProbs, positions, classes),
    positional: logProbs,
    logLikelihood(ids) {
      if (ids.length !== positions) return -Infinity;
      let s = 0;
      for (let p = 0; p < positions; p++) s += logProbs[p * classes + ids[p]!]!;
      return s;
    },
  };
}

/**
 * A reading from CTC log-probabilities [T × classes] and the render's own
 * decoding `ids` (ctcGreedy's); a text's log-likelihood sums all its
 * alignments. Scores are kept, since a render is scored against its
 * group's readings once per group size.
 */
export function ctcReading(logProbs: Float32Array, classes: number, blank: number, ids: ArrayLike<number>): RenderReading {
  if (!Number.isInteger(logProbs.length / classes)) throw new Error(`ctcReading: ${logProbs.length} log-probabilities are not T x ${classes}`);
  const memo = new Map<string, number>();
  return {
    ids: Int32Array.from(ids),
    logLikelihood(text) {
      const key = Array.from(text).join(',');
      const known = memo.get(key);
      if (known !== undefined) return known;
      const v = ctcLogLikelihood(logProbs, classes, text, blank);
      memo.set(key, v);
      return v;
    },
  };
}

/**
 * Votes over renders of one text: the text with the largest sum of
 * log-likelihoods over the renders (the most probable text if the renders
 * were independent). For positional readings that is, per position, the
 * class with the largest summed log-probability. Otherwise (CTC) the search
 * starts from the best of the renders' own readings of `positions`
 * characters (of any length if none has that many) and changes one
 * character at a time to any class but the blank while the sum grows (a
 * local maximum; the truth need not be any render's reading). Renders that
 * could not be read (null: failed segmentation) are left out; with none left
 * there is no answer.
 */
export function voteText(renders: ReadonlyArray<RenderReading | null>, positions: number, classes: number, blank = classes - 1): Int32Array | null {
  const read = renders.filter((r): r is RenderReading => r !== null);
  if (read.length === 0) return null;
  if (read.every((r) => r.positional)) {
    const sum = new Float64Array(positions * classes);
    for (const r of read) {
      if (r.positional!.length !== positions * classes)
        throw new Error(`voteText: a render has ${r.positional!.length} log-probabilities, expected ${positions}x${classes}`);
      for (let i = 0; i < sum.length; i++) sum[i]! += r.positional![i]!;
    }
    return argmaxPerPosition(sum, positions, classes);
  }
  const sized = read.filter((r) => r.ids.length === positions);
  const candidates = new Map<string, Int32Array>();
  for (const r of sized.length > 0 ? sized : read) candidates.set(r.ids.join(','), r.ids);
  const total = (ids: ArrayLike<number>) => read.reduce((sum, r) => sum + r.logLikelihood(ids), 0);
  let best: Int32Array | null = null;
  let bestScore = -Infinity;
  for (const c of candidates.values()) {
    const s = total(c);
    if (best === null || s > bestScore) [best, bestScore] = [c, s];
  }
  if (best === null || best.length !== positions) return best;
  const text = Int32Array.from(best);
  for (let changed = true; changed; ) {
    changed = false;
    for (let p = 0; p < positions; p++) {
      const kept = text[p]!;
      for (let k = 0; k < classes; k++) {
        if (k === blank || k === kept) continue;
        text[p] = k;
        const s = total(text);
        if (s > bestScore) {
          bestScore = s;
          best = Int32Array.from(text);
          changed = true;
        }
      }
      text[p] = best[p]!;
    }
  }
  return best;
}

function argmaxPerPosition(v: ArrayLike<number>, positions: number, classes: number): Int32Array {
  const out = new Int32Array(positions);
  for (let p = 0; p < positions; p++) out[p] = argmax(v, p * classes, classes);
  return out;
}

function argmax(v: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[from + k]! > v[from + best]!) best = k;
  return best;
}
