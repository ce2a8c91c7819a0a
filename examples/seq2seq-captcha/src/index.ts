/**
 * @captcha-nn/example-seq2seq-captcha: solvers for captchas of varying length
 * (issue #13). Importing the package registers its models with
 * @captcha-nn/train: `ctc` (CNN + BiLSTM + CTC); `seq2seq` and `attention`
 * (encoder–decoders).
 */
export { buildCtcCaptcha } from './ctc';
import { registerModule } from '@captcha-nn/core';
import { registerModel } from '@captcha-nn/train';
import { buildAttentionCaptcha } from './attention';
import { EncoderDecoder } from './encoderDecoder';
import { buildSeq2seqCaptcha } from './seq2seq';

export { EncoderDecoder, type AttentionModule, type AttentionTrace } from './encoderDecoder';
export { buildEncoderDecoder, columnTrunk, widthPoolsFor, SIZES } from './build';
export { buildSeq2seqCaptcha } from './seq2seq';
export { buildAttentionCaptcha } from './attention';
export { attentionMap, attentionPng, type AttentionMap } from './attentionPng';

// replace: the package may be loaded twice (its ESM and CJS builds), each with its own class.
registerModule('EncoderDecoder', EncoderDecoder, { replace: true });
// Data-parallel workers import the package so that they know EncoderDecoder.
const imports = ['@captcha-nn/example-seq2seq-captcha'];
registerModel('seq2seq', buildSeq2seqCaptcha, 'CNN + LSTM encoder to one vector + LSTM decoder, the 2016 series (examples/seq2seq-captcha)', { imports });
registerModel('attention', buildAttentionCaptcha, 'the seq2seq encoder-decoder with Bahdanau attention over the feature columns (examples/seq2seq-captcha)', {
  imports,
});
