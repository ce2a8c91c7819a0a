/**
 * Levenshtein distance between two sequences, and one minimal alignment as
 * edit operations: what a variable-length reader got wrong (CER, confusions).
 */

/** One step of an alignment: a match, a substitution (truth → pred), a deletion (truth → nothing) or an insertion (nothing → pred). */
export type EditOp =
  | { op: 'match'; truth: string; pred: string }
  | { op: 'sub'; truth: string; pred: string }
  | { op: 'del'; truth: string; pred: '' }
  | { op: 'ins'; truth: ''; pred: string };

/**
 * The Levenshtein distance of `pred` from `truth` (unit costs) and a minimal
 * alignment, in order. On ties the backtrace prefers match/substitution, then
 * deletion, then insertion, so equal-length readings align position by position.
 */
export function alignEdits<T extends string>(truth: readonly T[], pred: readonly T[]): { distance: number; ops: EditOp[] } {
  const n = truth.length;
  const m = pred.length;
  const w = m + 1;
  const d = new Int32Array((n + 1) * w);
  for (let i = 0; i <= n; i++) d[i * w] = i;
  for (let j = 0; j <= m; j++) d[j] = j;
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++) {
      const diag = d[(i - 1) * w + j - 1]! + (truth[i - 1] === pred[j - 1] ? 0 : 1);
      d[i * w + j] = Math.min(diag, d[(i - 1) * w + j]! + 1, d[i * w + j - 1]! + 1);
    }
  const ops: EditOp[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const here = d[i * w + j]!;
    if (i > 0 && j > 0 && here === d[(i - 1) * w + j - 1]! + (truth[i - 1] === pred[j - 1] ? 0 : 1)) {
      ops.push(
        truth[i - 1] === pred[j - 1] ? { op: 'match', truth: truth[i - 1]!, pred: pred[j - 1]! } : { op: 'sub', truth: truth[i - 1]!, pred: pred[j - 1]! },
      );
      i--;
      j--;
    } else if (i > 0 && here === d[(i - 1) * w + j]! + 1) {
      ops.push({ op: 'del', truth: truth[i - 1]!, pred: '' });
      i--;
    } else {
      ops.push({ op: 'ins', truth: '', pred: pred[j - 1]! });
      j--;
    }
  }
  return { distance: d[n * w + m]!, ops: ops.reverse() };
}
