import { forwardVariables } from '../util/ctcForward';
import { ModuleError } from '../util/errors';

/**
 * log p(label | input) under CTC: the sum over every alignment of the T
 * steps that collapses to `label`, by the forward recursion CTCCriterion
 * uses (its loss is the negative). For scoring a few candidate readings
 * of one sample (rescoring, votes over several images of the same text)
 * without a tensor per candidate.
 *
 * Args:
 *   logProbs: one sample's [T, C] log-probabilities, row-major (a LogSoftMax
 *     over C).
 *   classes: C.
 *   label: class ids in [0, C) other than the blank; may be empty.
 *   blank: the blank's class id (default 0, as CTCCriterion).
 *
 * Returns −∞ when no alignment exists (a label longer than T allows).
 */
export function ctcLogLikelihood(logProbs: Float32Array, classes: number, label: ArrayLike<number>, blank = 0): number {
  const who = 'ctcLogLikelihood';
  if (!Number.isInteger(classes) || classes < 1 || logProbs.length % classes !== 0)
    throw new ModuleError(who, `expected [T, C] log-probabilities with C = ${classes}, got ${logProbs.length} values`);
  if (!Number.isInteger(blank) || blank < 0 || blank >= classes)
    throw new ModuleError(who, `blank ${blank} is out of bounds: expected a class index in [0, ${classes - 1}]`);
  for (let i = 0; i < label.length; i++) {
    const v = label[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes || v === blank)
      throw new ModuleError(who, `label ${v} at ${i} is out of bounds: expected a class index in [0, ${classes - 1}] other than the blank ${blank}`);
  }
  const T = logProbs.length / classes;
  return forwardVariables({ T, N: 1, C: classes, data: logProbs, lengths: [T], offset: (t) => t * classes }, 0, label, blank).logLik;
}
