import type { Tensor } from '@tensorflow/tfjs-core';
import { logAddExp, readSequenceScores } from '../util/sequenceInput';
import { type CTCDecodeOptions, type CTCDecoded, textOf } from './ctcOutput';

export interface CTCBeamSearchOptions extends CTCDecodeOptions {
  /** Prefixes kept after each step (default 10). */
  beamWidth?: number;
}

/** A prefix and the log-probabilities of its paths so far, ending in a blank (pb) or not (pnb). */
interface Beam {
  ids: number[];
  pb: number;
  pnb: number;
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
    let beams: [string, Beam][] = [['', { ids: [], pb: 0, pnb: -Infinity }]];
    for (let t = 0; t < x.lengths[n]; t++) {
      const o = x.offset(t, n);
      const lp = (k: number) => x.data[o + k];
      const next = new Map<string, Beam>();
      const at = (key: string, ids: () => number[]): Beam => {
        let b = next.get(key);
        if (!b) next.set(key, (b = { ids: ids(), pb: -Infinity, pnb: -Infinity }));
        return b;
      };
      for (const [key, b] of beams) {
        const total = logAddExp(b.pb, b.pnb);
        const last = b.ids.length ? b.ids[b.ids.length - 1] : -1;
        const same = at(key, () => b.ids);
        same.pb = logAddExp(same.pb, total + lp(blank));
        // A repeat with no blank between merges into the same prefix.
        if (last >= 0) same.pnb = logAddExp(same.pnb, b.pnb + lp(last));
        for (let k = 0; k < x.C; k++) {
          if (k === blank) continue;
          const grown = at(`${key},${k}`, () => [...b.ids, k]);
          grown.pnb = logAddExp(grown.pnb, (k === last ? b.pb : total) + lp(k));
        }
      }
      beams = [...next].sort(byProbability).slice(0, beamWidth);
    }
    const [, best] = beams.sort(byProbability)[0];
    const confidence = Math.exp(logAddExp(best.pb, best.pnb));
    out.push(text ? { ids: best.ids, text: text(best.ids), confidence } : { ids: best.ids, confidence });
  }
  return out;
}

/** Most probable first; ties by key, so the result does not depend on insertion order. */
function byProbability([ka, a]: [string, Beam], [kb, b]: [string, Beam]): number {
  return logAddExp(b.pb, b.pnb) - logAddExp(a.pb, a.pnb) || (ka < kb ? -1 : ka > kb ? 1 : 0);
}
