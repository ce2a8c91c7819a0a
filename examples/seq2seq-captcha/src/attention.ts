/**
 * `attention`: the seq2seq encoder–decoder with the attention the 2016
 * series promised. At every step the decoder's previous state scores the
 * encoder's outputs (one per feature column, additive/Bahdanau attention),
 * and their weighted sum is the context the step reads.
 */
import { BahdanauAttention } from '@captcha-nn/core';
import type { ModelOptions, ModelParts } from '@captcha-nn/train';
import { buildEncoderDecoder } from './build';

/** The encoder–decoder with Bahdanau attention (query, keys and scoring layer of the hidden size). */
export function buildAttentionCaptcha(opts: ModelOptions): ModelParts {
  return buildEncoderDecoder(opts, 'buildAttentionCaptcha', (H) => new BahdanauAttention(H, H, H));
}
