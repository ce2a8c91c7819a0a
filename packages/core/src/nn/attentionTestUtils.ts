/**
 * Test helpers: an independent reference for the attention modules (one key
 * at a time, softmax written out). Not exported from the package.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';

/** score(query [N,Hq], one key column [N,Hk], weights) → [N]. */
export type KeyScore = (q: Tensor, k: Tensor, w: Tensor[]) => Tensor;

/** vᵀ tanh(W_q q + W_k k + b), w = [W_q, W_k, b, v]. */
export const bahdanauScore: KeyScore = (q, k, [wq, wk, b, v]) => q.matMul(wq.transpose()).add(k.matMul(wk.transpose())).add(b).tanh().mul(v).sum(1);

/** qᵀ W k, w = [W]. */
export const generalScore: KeyScore = (q, k, [W]) => q.matMul(W).mul(k).sum(1);

/** qᵀ k. */
export const dotScore: KeyScore = (q, k) => q.mul(k).sum(1);

/**
 * Context and weights of attention with `score`; `lengths` (plain numbers)
 * leave out the keys past each row's length.
 */
export function refAttention(score: KeyScore, q: Tensor, keys: Tensor, w: Tensor[], lengths?: number[]): { context: Tensor; weights: Tensor } {
  const S = keys.shape[1]!;
  const cols = tf.unstack(keys, 1);
  const e = tf.stack(
    cols.map((k) => score(q, k, w)),
    1,
  );
  const keep = lengths ? tf.tensor2d(lengths.map((L) => Array.from({ length: S }, (_, s) => (s < L ? 1 : 0)))) : tf.onesLike(e);
  // subtract a row maximum over the kept keys only, then exp, zero the padded, normalise
  const m = e.mul(keep).add(keep.sub(1).mul(1e9)).max(1, true);
  const ex = e.sub(m).mul(keep).exp().mul(keep);
  const total = ex.sum(1, true);
  // total ≥ 1 with any kept key (exp 0 at the maximum); a row without keys gets zeros
  const weights = ex.div(tf.maximum(total, 1));
  const context = tf.addN(cols.map((k, s) => k.mul(weights.slice([0, s], [-1, 1]))));
  return { context, weights };
}

/**
 * The reference's gradients of Σ context⊙gc + Σ weights⊙gw with respect to
 * the query, the keys and the weights `w`.
 */
export function refAttentionGrads(score: KeyScore, q: Tensor, keys: Tensor, w: Tensor[], gc: Tensor, gw: Tensor, lengths?: number[]): Tensor[] {
  const f = (...a: Tensor[]) => {
    const r = refAttention(score, a[0], a[1], a.slice(2), lengths);
    return r.context.mul(gc).sum().add(r.weights.mul(gw).sum());
  };
  return tf.grads(f)([q, keys, ...w]);
}
