import { ModuleError } from '../util/errors';

/** Options of the CTC decoders. */
export interface CTCDecodeOptions {
  /** The blank's class id (default 0). */
  blank?: number;
  /** Steps of each sample (default T for all). */
  inputLengths?: ArrayLike<number>;
  /** Input [N, T, C] instead of [T, N, C] (default false). */
  batchFirst?: boolean;
  /**
   * Turns class ids into text: a string with one character per class, the
   * blank left out (so class k is `charset[k]` below the blank and
   * `charset[k − 1]` above it, which fits LabelEncoder's charset with the
   * blank first or last), or a function such as `(ids) => encoder.decode(ids)`.
   */
  charset?: string | ((ids: number[]) => string);
}

/** One sample's decoding. */
export interface CTCDecoded {
  /** Class ids of the labelling: repeats merged, blanks removed. */
  ids: number[];
  /** The labelling as text, when a charset was given. */
  text?: string;
  /** A probability in [0, 1]; each decoder says of what. */
  confidence: number;
}

/** Checks the decoder options against C classes; returns the ids → text function, if any. */
export function textOf(who: string, C: number, blank: number, charset: CTCDecodeOptions['charset']): ((ids: number[]) => string) | undefined {
  if (!Number.isInteger(blank) || blank < 0 || blank >= C)
    throw new ModuleError(who, `blank ${blank} is out of bounds: expected a class index in [0, ${C - 1}] (C = ${C})`);
  if (charset === undefined || typeof charset === 'function') return charset;
  const chars = [...charset];
  if (chars.length !== C - 1)
    throw new ModuleError(who, `the charset has ${chars.length} characters; expected ${C - 1}, one for each class but the blank (C = ${C})`);
  return (ids) => ids.map((k) => chars[k < blank ? k : k - 1]).join('');
}
