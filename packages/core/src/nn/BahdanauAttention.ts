import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { Attention } from './Attention';

/**
 * Additive (Bahdanau) attention, `BahdanauAttention(querySize, keySize, hiddenSize = keySize)`:
 * score(q, k_s) = vᵀ tanh(W_q q + W_k k_s + b), softmax over the S keys,
 * context = Σ_s weight_s · k_s. (Torch has no attention module; this is the
 * formulation of Bahdanau et al. 2015 with the bias of the usual
 * implementations. A bias on v would shift every score alike and cancel in
 * the softmax, so there is none.)
 *
 * Args:
 *   querySize: Hq, the size of a query (a decoder state).
 *   keySize: Hk, the size of a key (an encoder output), also the context's.
 *   hiddenSize: A, the size of the tanh layer.
 *
 * Shapes: input `{query [N,Hq], keys [N,S,Hk]}` plus optional lengths [N] or
 * mask [N,S] (see Attention); output the context [N,Hk], or
 * `{context [N,Hk], weights [N,S]}` after `returnWeights()`.
 *
 * Parameters (PyTorch-style keys, Linear layouts [out, in]): `weight_q`
 * [A,Hq] (W_q), `weight_k` [A,Hk] (W_k), `bias` [A] (b), `weight_v` [A] (v).
 * Initialisation as Torch's Linear: W_q ±1/√Hq; W_k and b ±1/√Hk (b as the
 * bias of Linear(Hk, A)); v ±1/√A.
 */
export class BahdanauAttention extends Attention {
  readonly typeName = 'BahdanauAttention';
  readonly hiddenSize: number;

  constructor(querySize: number, keySize: number, hiddenSize = keySize) {
    super(querySize, keySize);
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1) throw new RangeError(`BahdanauAttention: hiddenSize must be a positive integer, got ${hiddenSize}`);
    this.hiddenSize = hiddenSize;
    this.addParameter('weight_q', tf.zeros([hiddenSize, querySize]));
    this.addParameter('weight_k', tf.zeros([hiddenSize, keySize]));
    this.addParameter('bias', tf.zeros([hiddenSize]));
    this.addParameter('weight_v', tf.zeros([hiddenSize]));
    this.reset();
  }

  override reset(): this {
    this.initUniform('weight_q', 1 / Math.sqrt(this.querySize));
    this.initUniform('weight_k', 1 / Math.sqrt(this.keySize));
    this.initUniform('bias', 1 / Math.sqrt(this.keySize));
    this.initUniform('weight_v', 1 / Math.sqrt(this.hiddenSize));
    return this;
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.querySize, this.keySize, this.hiddenSize], { returnWeights: this.returnsWeights || undefined });
  }

  protected score(query: Tensor, keys: Tensor): Tensor {
    const [N, S] = keys.shape;
    const A = this.hiddenSize;
    const q = tf.matMul(query, this.w('weight_q'), false, true).add(this.w('bias')); // [N, A]
    const k = tf.matMul(keys.reshape([N * S, this.keySize]), this.w('weight_k'), false, true).reshape([N, S, A]);
    const e = tf.tanh(k.add(q.expandDims(1)));
    return tf.matMul(e.reshape([N * S, A]), this.w('weight_v').expandDims(1)).reshape([N, S]);
  }

  protected describe(): string {
    return `query ${this.querySize}, keys ${this.keySize}, hidden ${this.hiddenSize}`;
  }
}
