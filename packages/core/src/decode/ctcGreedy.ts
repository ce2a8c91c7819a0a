import type { Tensor } from '@tensorflow/tfjs-core';
import { readSequenceScores } from '../util/sequenceInput';
import { type CTCDecodeOptions, type CTCDecoded, textOf } from './ctcOutput';

/**
 * Best-path CTC decoding: the most probable class at each step, then
 * repeats merged and blanks removed.
 *
 * Args:
 *   logProbs: [T, N, C] log-probabilities (a LogSoftMax over C), or [N, T, C]
 *     with `batchFirst`.
 *   options: blank (default 0), inputLengths, batchFirst, charset (see
 *     `CTCDecodeOptions`).
 *
 * Returns one `CTCDecoded` per sample. `confidence` is the probability of
 * the best path (the product of each step's largest probability), a lower
 * bound on the probability of the returned labelling; 1 for an empty input.
 */
export function ctcGreedy(logProbs: Tensor, options: CTCDecodeOptions = {}): CTCDecoded[] {
  const { blank = 0, batchFirst = false } = options;
  const x = readSequenceScores('ctcGreedy', logProbs, batchFirst, options.inputLengths);
  const text = textOf('ctcGreedy', x.C, blank, options.charset);
  const out: CTCDecoded[] = [];
  for (let n = 0; n < x.N; n++) {
    const ids: number[] = [];
    let logP = 0;
    let prev = blank;
    for (let t = 0; t < x.lengths[n]; t++) {
      const o = x.offset(t, n);
      let best = 0;
      for (let k = 1; k < x.C; k++) if (x.data[o + k] > x.data[o + best]) best = k;
      logP += x.data[o + best];
      if (best !== blank && best !== prev) ids.push(best);
      prev = best;
    }
    out.push(text ? { ids, text: text(ids), confidence: Math.exp(logP) } : { ids, confidence: Math.exp(logP) });
  }
  return out;
}
