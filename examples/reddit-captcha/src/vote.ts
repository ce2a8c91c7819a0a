/**
 * Votes over renders: each render gives, for each of `positions` letters, a
 * log-probability per class; the answer at each position is the class with
 * the largest sum over the renders (the most probable text if the renders
 * were independent). Renders whose segmentation failed are left out (null).
 */
export function voteText(renders: ReadonlyArray<Float32Array | null>, positions: number, classes: number): Int32Array | null {
  const sum = new Float64Array(positions * classes);
  let used = 0;
  for (const r of renders) {
    if (!r) continue;
    if (r.length !== positions * classes) throw new Error(`voteText: a render has ${r.length} log-probabilities, expected ${positions}x${classes}`);
    for (let i = 0; i < sum.length; i++) sum[i]! += r[i]!;
    used++;
  }
  if (used === 0) return null;
  const out = new Int32Array(positions);
  for (let p = 0; p < positions; p++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (sum[p * classes + k]! > sum[p * classes + best]!) best = k;
    out[p] = best;
  }
  return out;
}
