/**
 * The CTC task: a model that outputs [T, N, C] log-probabilities (time-major,
 * as Sequencer and SeqLSTM do) read with connectionist temporal
 * classification, so a label may have any length up to what T allows.
 */
import { CTCCriterion, ctcBeamSearch, ctcGreedy, type Activity, type Tensor } from '@captcha-nn/core';
import { AccuracyMeter, type Decoded } from './metrics';
import { checkDecodeOptions, DEFAULT_LENGTH_BEAM, isTextLength, type DecodeOptions, type Task, type TaskSpec, type TextLength } from './task';

export interface CTCTaskOptions {
  /** The blank's class id: the LabelEncoder's (`encoder.blank`, the last class). */
  blank: number;
  /** The model's time steps T, when fixed: labels are checked against it before training. */
  steps?: number;
  /**
   * The lengths of the labels the model was trained on: decoding reads only texts of these lengths unless
   * `DecodeOptions.length` says otherwise. Saved models record it (`bestMetadata`); training validates greedily.
   */
  readLength?: TextLength;
}

/** Steps CTC needs for a label: one per character, plus a blank between each pair of equal neighbours. */
export function ctcStepsNeeded(label: ArrayLike<unknown>): { needed: number; repeats: number } {
  let repeats = 0;
  for (let i = 1; i < label.length; i++) if (label[i] === label[i - 1]) repeats++;
  return { needed: label.length + repeats, repeats };
}

/** Why `label` cannot be read in `steps` CTC steps, or undefined. */
export function ctcLabelProblem(label: string, steps: number): string | undefined {
  const chars = [...label];
  const { needed, repeats } = ctcStepsNeeded(chars);
  if (needed <= steps) return undefined;
  return (
    `label "${label}" needs ${needed} CTC time steps (${chars.length} characters${repeats ? ` + ${repeats} repeated pair${repeats > 1 ? 's' : ''}` : ''}), ` +
    `but the model has T = ${steps} (make the images wider, or use shorter labels)`
  );
}

/**
 * Per character of `ids`, the largest probability its step(s) have in the
 * most probable alignment (Viterbi) of `ids` with sample n's T steps: for a
 * greedy reading that is its best path, for a beam search reading the best
 * path that collapses to it. `lp` is [T, N, C] log-probabilities, flat.
 */
function characterProbs(lp: Float32Array, T: number, N: number, C: number, n: number, ids: number[], blank: number): number[] {
  const S = 2 * ids.length + 1; // blank, id0, blank, id1, ..., blank
  const sym = (s: number) => (s % 2 === 0 ? blank : ids[(s - 1) / 2]!);
  const score = new Float64Array(T * S).fill(-Infinity);
  const from = new Int32Array(T * S);
  const at = (t: number, k: number) => lp[(t * N + n) * C + k]!;
  score[0] = at(0, blank);
  if (S > 1) score[1] = at(0, sym(1));
  for (let t = 1; t < T; t++) {
    for (let s = 0; s < S; s++) {
      let best = s;
      let v = score[(t - 1) * S + s]!;
      if (s >= 1 && score[(t - 1) * S + s - 1]! > v) [best, v] = [s - 1, score[(t - 1) * S + s - 1]!];
      // Skipping a blank is allowed between different characters.
      if (s >= 2 && s % 2 === 1 && sym(s) !== sym(s - 2) && score[(t - 1) * S + s - 2]! > v) [best, v] = [s - 2, score[(t - 1) * S + s - 2]!];
      score[t * S + s] = v + at(t, sym(s));
      from[t * S + s] = best;
    }
  }
  let s = S > 1 && score[(T - 1) * S + S - 2]! > score[(T - 1) * S + S - 1]! ? S - 2 : S - 1;
  const probs = new Array<number>(ids.length).fill(0);
  for (let t = T - 1; t >= 0; t--) {
    if (s % 2 === 1) probs[(s - 1) / 2] = Math.max(probs[(s - 1) / 2]!, Math.exp(at(t, sym(s))));
    if (t > 0) s = from[t * S + s]!;
  }
  return probs;
}

/** How a CTC task with this spec reads under `options`: the lengths it keeps (none: any) and the beam width (1: greedy). */
export function ctcReading(spec: TaskSpec, options: DecodeOptions | undefined): { length?: TextLength; beam: number } {
  const readLength = spec.name === 'ctc' ? spec.readLength : undefined;
  const length = options?.length === 'any' ? undefined : (options?.length ?? readLength);
  return { ...(length ? { length } : {}), beam: options?.beam ?? (length ? DEFAULT_LENGTH_BEAM : 1) };
}

/** How a CTC task reads, in words (eval's report). */
export function describeCtcReading(spec: TaskSpec, options: DecodeOptions | undefined): string {
  const { length, beam } = ctcReading(spec, options);
  const how = beam > 1 ? `beam search of ${beam}` : 'greedy';
  if (!length) return `${how}, any length`;
  const n = length.min === length.max ? `${length.min}` : `${length.min} to ${length.max}`;
  return `${how}, ${n} characters${options?.length === undefined ? ', the lengths of its training labels (--text-length any: any length)' : ''}`;
}

/**
 * CTC over a model's [T, N, C] log-probabilities: CTCCriterion (mean over
 * the batch of each loss divided by its label length, PyTorch's default)
 * with the LabelEncoder's blank; the target is each sample's class ids
 * without the blank padding (`number[][]`, which DataParallelTable shards by
 * sample like a tensor's rows). Decoding is greedy (best path; confidence
 * the best path's probability) or, with `beam` > 1, a prefix beam search
 * (confidence the reading's probability summed over the paths the beam
 * kept). Each character's probability is its peak in the best alignment.
 */
export function ctcTask(o: CTCTaskOptions): Task {
  const { blank, steps, readLength } = o;
  if (!Number.isInteger(blank) || blank < 0) throw new RangeError(`ctcTask: blank must be a non-negative integer, got ${blank}`);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) throw new RangeError(`ctcTask: steps must be a positive integer, got ${steps}`);
  const spec: TaskSpec = { name: 'ctc', blank, ...(steps !== undefined ? { steps } : {}), ...(readLength ? { readLength } : {}) };
  if (readLength && !isTextLength(readLength))
    throw new RangeError(`ctcTask: readLength must be whole numbers with 1 <= min <= max, got ${JSON.stringify(readLength)}`);
  return {
    spec,
    outputBatchDim: 1,
    criterion: new CTCCriterion({ blank }),
    target: (y: Tensor) => {
      const [n, length] = y.shape as [number, number];
      const ids = y.dataSync();
      return Array.from({ length: n }, (_, i) => Array.from(ids.subarray(i * length, (i + 1) * length)).filter((k) => k !== blank));
    },
    disposeTarget: () => undefined,
    decode: (output: Activity, options?: DecodeOptions): Decoded => {
      checkDecodeOptions(spec, options);
      const x = output as Tensor;
      if (!(x?.rank === 3))
        throw new Error(`ctcTask: expected the model's output to be [T, N, C] log-probabilities, got ${x?.rank === undefined ? 'a table' : `[${x.shape}]`}`);
      const { length, beam } = ctcReading(spec, options);
      const read = beam > 1 || length ? ctcBeamSearch(x, { blank, beamWidth: beam, ...(length ? { length } : {}) }) : ctcGreedy(x, { blank });
      const [T, N, C] = x.shape as [number, number, number];
      const lp = x.dataSync() as Float32Array;
      return read.map((r, n) => ({ ids: r.ids, probs: characterProbs(lp, T, N, C, n, r.ids, blank), confidence: r.confidence }));
    },
    meter: (encoder) => new AccuracyMeter(encoder),
    ...(steps !== undefined ? { labelProblem: (label: string) => ctcLabelProblem(label, steps) } : {}),
  };
}
