/**
 * `seq2seq`: the 2016 series' encoder–decoder for captchas of varying
 * length. The CNN reads the image into feature columns, an LSTM encoder
 * reads the columns into one vector (its last output), and an LSTM decoder
 * writes the characters and an end symbol from that vector alone.
 */
import type { ModelOptions, ModelParts } from '@captcha-nn/train';
import { buildEncoderDecoder } from './build';

/** The series' seq2seq (no attention); `seed`: VGG trunk and 256-unit LSTMs, `compact`: the narrow trunk and 128. */
export function buildSeq2seqCaptcha(opts: ModelOptions): ModelParts {
  return buildEncoderDecoder(opts, 'buildSeq2seqCaptcha');
}
