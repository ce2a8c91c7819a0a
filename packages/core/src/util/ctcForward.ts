/** The CTC forward (α) recursion, shared by CTCCriterion and ctcLogLikelihood. */
import { logAddExp, type SequenceScores } from './sequenceInput';

/** The label with blanks around and between: s even is the blank, s odd label[(s − 1) / 2]. */
export function extended(label: ArrayLike<number>, blank: number): Int32Array {
  const ext = new Int32Array(2 * label.length + 1).fill(blank);
  for (let i = 0; i < label.length; i++) ext[2 * i + 1] = label[i];
  return ext;
}

/** Steps the label needs at least: one per label, one more between equal neighbours. */
function minSteps(label: ArrayLike<number>): number {
  let k = label.length;
  for (let i = 1; i < label.length; i++) if (label[i] === label[i - 1]) k++;
  return k;
}

/**
 * log α_t(s) over the extended label, for t < the sample's length, and
 * log p(label | input) (−∞ when no alignment exists). α includes step t's
 * emission; so does β, so α·β / y counts each path through (t, s) once.
 */
export function forwardVariables(x: SequenceScores, n: number, label: ArrayLike<number>, blank: number): { alpha: Float64Array; logLik: number } {
  const T = x.lengths[n];
  const ext = extended(label, blank);
  const S = ext.length;
  const alpha = new Float64Array(T * S).fill(-Infinity);
  if (T === 0) return { alpha, logLik: label.length === 0 ? 0 : -Infinity };
  if (minSteps(label) > T) return { alpha, logLik: -Infinity };
  const { data } = x;
  let o = x.offset(0, n);
  alpha[0] = data[o + blank];
  if (S > 1) alpha[1] = data[o + ext[1]];
  for (let t = 1; t < T; t++) {
    o = x.offset(t, n);
    const prev = (t - 1) * S;
    for (let s = 0; s < S; s++) {
      let a = alpha[prev + s];
      if (s > 0) a = logAddExp(a, alpha[prev + s - 1]);
      if (s > 1 && ext[s] !== ext[s - 2]) a = logAddExp(a, alpha[prev + s - 2]);
      alpha[t * S + s] = a + data[o + ext[s]];
    }
  }
  const last = (T - 1) * S;
  const logLik = S > 1 ? logAddExp(alpha[last + S - 1], alpha[last + S - 2]) : alpha[last];
  return { alpha, logLik };
}
