import type { Tensor } from '@tensorflow/tfjs-core';
import { logAddExp, readSequenceScores } from '../util/sequenceInput';
import { type CTCDecodeOptions, type CTCDecoded, textOf } from './ctcOutput';

export interface CTCBeamSearchOptions extends CTCDecodeOptions {
  /** Prefixes kept after each step (default 10). */
  beamWidth?: number;
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
  const x = readSequenceScores('ctcBeamSearch', logProbs, batchFirst, options.inputLengths);
  const text = textOf('ctcBeamSearch', x.C, blank, options.charset);
  const out: CTCDecoded[] = [];
  for (let n = 0; n < x.N; n++) {
    let beams: Beam[] = [{ key: '', ids: [], pb: 0, pnb: -Infinity, score: 0 }];
    for (let t = 0; t < x.lengths[n]; t++) {
      const o = x.offset(t, n);
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
          if (k === blank) continue;
          const grown = at(`${b.key},${k}`, null, b.ids, k);
          grown.pnb = logAddExp(grown.pnb, (k === last ? b.pb : b.score) + x.data[o + k]);
        }
      }
      for (const b of next.values()) b.score = logAddExp(b.pb, b.pnb);
      beams = [...next.values()].sort(byScore).slice(0, beamWidth);
    }
    const best = beams[0];
    const confidence = Math.exp(best.score);
    out.push(text ? { ids: best.ids, text: text(best.ids), confidence } : { ids: best.ids, confidence });
  }
  return out;
}

/** Most probable first; ties by key, so the result does not depend on insertion order. */
function byScore(a: Beam, b: Beam): number {
  return b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}
