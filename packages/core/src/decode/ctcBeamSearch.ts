import type { Tensor } from '@tensorflow/tfjs-core';
import { logAddExp, readSequenceScores } from '../util/sequenceInput';
import { type CTCDecodeOptions, type CTCDecoded, textOf } from './ctcOutput';

export interface CTCBeamSearchOptions extends CTCDecodeOptions {
  /** Prefixes kept after each step (default 10). */
  beamWidth?: number;
  /**
   * Read only labellings of min..max characters (a scheme of known length):
   * a prefix stops growing at max, and one that can no longer reach min in
   * the steps left is dropped. Default: any length.
   */
  length?: { min: number; max: number };
  /**
   * A class below this probability at a step extends no prefix there, but
   * for the step's most probable non-blank class (default 0.001, as
   * pyctcdecode's token_min_logp of −5): a trained reader puts nearly all
   * of each step's mass on a few classes, so the search runs many times
   * faster. 0 keeps every class: the exact search.
   */
  minProb?: number;
}

/**
 * A prefix (`key` is its ids joined) and the log-probabilities of its paths
 * so far, ending in a blank (pb) or not (pnb); `score` is their total.
 */
interface Beam {
  key: string;
  ids: number[];
  pb: number;
  pnb: number;
  score: number;
}

/**
 * CTC prefix beam search (Hannun et al. 2014, without a language model):
 * keeps the `beamWidth` labellings (prefixes) of largest probability after
 * each step, summing over all the paths that collapse to each.
 *
 * Args:
 *   logProbs: [T, N, C] log-probabilities (a LogSoftMax over C), or [N, T, C]
 *     with `batchFirst`.
 *   options: beamWidth (default 10), and blank (default 0), inputLengths,
 *     batchFirst, charset as `ctcGreedy`.
 *
 * Returns one `CTCDecoded` per sample: the most probable prefix at the end.
 * `confidence` is the probability of the returned labelling summed over the
 * paths the beam kept: exact when the beam held every prefix, otherwise a
 * lower bound. 1 for an empty input.
 *
 * Width 1 keeps the prefix of largest summed probability at each step: the
 * best path's collapse (`ctcGreedy`) when that path holds most of the mass,
 * but not always.
 */
export function ctcBeamSearch(logProbs: Tensor, options: CTCBeamSearchOptions = {}): CTCDecoded[] {
  const { blank = 0, batchFirst = false, beamWidth = 10 } = options;
  if (!Number.isInteger(beamWidth) || beamWidth < 1) throw new RangeError(`ctcBeamSearch: beamWidth must be a positive integer, got ${beamWidth}`);
  const { min, max } = checkLength(options.length);
  const { minProb = 0.001 } = options;
  if (!(minProb >= 0 && minProb < 1)) throw new RangeError(`ctcBeamSearch: minProb must be in [0, 1), got ${minProb}`);
  const minLogProb = Math.log(minProb);
  const x = readSequenceScores('ctcBeamSearch', logProbs, batchFirst, options.inputLengths);
  const text = textOf('ctcBeamSearch', x.C, blank, options.charset);
  const out: CTCDecoded[] = [];
  for (let n = 0; n < x.N; n++) {
    const T = x.lengths[n]!;
    if (T < min) throw new RangeError(`ctcBeamSearch: sample ${n} has ${T} steps, too few for ${min} characters`);
    let beams: Beam[] = [{ key: '', ids: [], pb: 0, pnb: -Infinity, score: 0 }];
    for (let t = 0; t < T; t++) {
      const o = x.offset(t, n);
      let top = -1;
      for (let k = 0; k < x.C; k++) if (k !== blank && (top < 0 || x.data[o + k]! > x.data[o + top]!)) top = k;
      const next = new Map<string, Beam>();
      const at = (key: string, ids: number[] | null, parent: number[], k: number): Beam => {
        let b = next.get(key);
        if (!b) next.set(key, (b = { key, ids: ids ?? [...parent, k], pb: -Infinity, pnb: -Infinity, score: -Infinity }));
        return b;
      };
      for (const b of beams) {
        const last = b.ids.length ? b.ids[b.ids.length - 1] : -1;
        const same = at(b.key, b.ids, b.ids, -1);
        same.pb = logAddExp(same.pb, b.score + x.data[o + blank]);
        // A repeat with no blank between merges into the same prefix.
        if (last >= 0) same.pnb = logAddExp(same.pnb, b.pnb + x.data[o + last]);
        for (let k = 0; k < x.C; k++) {
          if (k === blank || b.ids.length === max || (x.data[o + k]! < minLogProb && k !== top)) continue;
          const grown = at(`${b.key},${k}`, null, b.ids, k);
          grown.pnb = logAddExp(grown.pnb, (k === last ? b.pb : b.score) + x.data[o + k]);
        }
      }
      // Each later step adds at most one character.
      const left = T - 1 - t;
      for (const b of next.values()) b.score = logAddExp(b.pb, b.pnb);
      beams = [...next.values()]
        .filter((b) => b.ids.length + left >= min)
        .sort(byScore)
        .slice(0, beamWidth);
    }
    const best = beams[0];
    const confidence = Math.exp(best.score);
    out.push(text ? { ids: best.ids, text: text(best.ids), confidence } : { ids: best.ids, confidence });
  }
  return out;
}

function checkLength(length: CTCBeamSearchOptions['length']): { min: number; max: number } {
  if (length === undefined) return { min: 0, max: Infinity };
  const { min, max } = length;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max >= min))
    throw new RangeError(`ctcBeamSearch: length must be whole numbers with 0 <= min <= max, got ${JSON.stringify(length)}`);
  return { min, max };
}

/** Most probable first; ties by key, so the result does not depend on insertion order. */
function byScore(a: Beam, b: Beam): number {
  return b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
