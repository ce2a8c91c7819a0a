import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { Attention } from './Attention';

/** Luong et al.'s (2015) multiplicative scores. */
export type LuongScore = 'dot' | 'general';

/**
 * Multiplicative (Luong) attention, `LuongAttention(querySize, keySize = querySize, score = 'general')`:
 * score(q, k_s) = qᵀ k_s ('dot', which needs querySize = keySize) or
 * qᵀ W k_s ('general'), softmax over the S keys, context = Σ_s weight_s · k_s.
 * (Torch has no attention module.) Luong's attentional output
 * tanh(W_c [context; h]) is left to the model: JoinTable, Linear, Tanh.
 *
 * Args:
 *   querySize: Hq, the size of a query (a decoder state).
 *   keySize: Hk, the size of a key (an encoder output), also the context's.
 *   score: 'general' (default) or 'dot'.
 *
 * Shapes: input `{query [N,Hq], keys [N,S,Hk]}` plus optional lengths [N] or
 * mask [N,S] (see Attention); output the context [N,Hk], or
 * `{context [N,Hk], weights [N,S]}` after `returnWeights()`.
 *
 * Parameters: 'general' has `weight` [Hq,Hk] (W, the layout of PyTorch's
 * `nn.Linear(Hk, Hq, bias=False)` applied to the keys), initialised as
 * that Linear: uniform ±1/√Hk. 'dot' has none.
 */
export class LuongAttention extends Attention {
  readonly typeName = 'LuongAttention';

  constructor(
    querySize: number,
    keySize = querySize,
    readonly scoreType: LuongScore = 'general',
  ) {
    super(querySize, keySize);
    if (scoreType !== 'dot' && scoreType !== 'general') throw new RangeError(`LuongAttention: score must be 'dot' or 'general', got ${String(scoreType)}`);
    if (scoreType === 'dot' && querySize !== keySize)
      throw new RangeError(`LuongAttention: the 'dot' score needs querySize = keySize, got ${querySize} and ${keySize}`);
    if (scoreType === 'general') this.addParameter('weight', tf.zeros([querySize, keySize]));
    this.reset();
  }

  override reset(): this {
    if (this.scoreType === 'general') this.initUniform('weight', 1 / Math.sqrt(this.keySize));
    return this;
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.querySize, this.keySize, this.scoreType], { returnWeights: this.returnsWeights || undefined });
  }

  protected score(query: Tensor, keys: Tensor): Tensor {
    // qᵀ W k_s = (qᵀ W) k_s: one [N, Hk] product instead of projecting all S keys
    const q = this.scoreType === 'general' ? tf.matMul(query, this.w('weight')) : query;
    return tf.matMul(keys, q.expandDims(2)).squeeze([2]);
  }

  protected describe(): string {
    return `${this.scoreType}, query ${this.querySize}, keys ${this.keySize}`;
  }
}
