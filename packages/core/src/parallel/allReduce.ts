/**
 * The all-reduce of DataParallelTable: each replica's gradient, already
 * weighted by its shard's share of the batch, summed into the main model's
 * gradient buffers.
 *
 * Weights: with a criterion that averages over the batch (Torch's default
 * `sizeAverage = true`), shard k of n_k samples out of N has mean loss
 * L_k = (1/n_k) Σ_{i∈k} l_i, and the full-batch mean loss is
 * L = (1/N) Σ_i l_i = Σ_k (n_k/N) L_k, so its gradient is Σ_k (n_k/N) ∇L_k:
 * weight n_k/N. A criterion that sums over the batch (`sizeAverage = false`;
 * `criterion.batchReduction`) gets weight 1.
 * (ClassNLL with class weights averages over the targets' weights, not their
 * count; sharded, its gradient is then only approximately the full batch's.)
 */
import type { Variable } from '@tensorflow/tfjs-core';
import type { Criterion } from '../nn/Criterion';
import { tf } from '../tf';
import type { WireTensor } from './protocol';
import { fromWire } from './replica';

/** Each shard's weight in the reduction. */
export function shardWeights(criterion: Criterion, sizes: number[]): number[] {
  const sums = criterion.batchReduction === 'sum';
  const batch = sizes.reduce((a, b) => a + b, 0);
  return sizes.map((n) => (sums ? 1 : n / batch));
}

/**
 * grads[i] += Σ_r replicas[r][i], in one tidy. The main thread's own shard
 * is already in `grads` (its fused step accumulated it there, weighted).
 */
export function reduceGradients(grads: Variable[], replicas: WireTensor[][]): void {
  for (const r of replicas) {
    if (r.length !== grads.length) throw new Error(`all-reduce: a replica sent ${r.length} gradients for ${grads.length} parameters`);
  }
  tf.tidy(() => {
    grads.forEach((g, i) => {
      const parts = [g as tf.Tensor, ...replicas.map((r) => fromWire(tf, r[i]))];
      g.assign(tf.addN(parts));
    });
  });
}
