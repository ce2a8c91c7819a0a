/**
 * The parts both encoder–decoders share: the CNN example's trunk, read as
 * feature columns, an LSTM encoder, and the decoder's embedding, cell and
 * classifier, sized per variant.
 */
import { FastLSTM, Linear, LogSoftMax, LookupTable, SeqLSTM, Sequential, Transpose, View } from '@captcha-nn/core';
import { cnnFeatures } from '@captcha-nn/example-cnn-captcha';
import { checkModelOptions, seq2seqTask, type ModelOptions, type ModelParts } from '@captcha-nn/train';
import { EncoderDecoder, type AttentionModule } from './encoderDecoder';

// The CNN example's narrow trunk, sized for CPU training; `wide` keeps these sizes on its wider trunk.
const COMPACT_SIZES = { hidden: 128, embed: 32 } as const;

/** Hidden size (encoder, decoder, attention) and character embedding size per variant. */
export const SIZES = {
  // The seed's VGG trunk and 256-unit LSTMs, as the 2016 series' encoder–decoder.
  seed: { hidden: 256, embed: 64 },
  compact: COMPACT_SIZES,
  wide: COMPACT_SIZES,
} as const;

/**
 * How many pooling groups halve the width: as many as leave at least two
 * feature columns per decoder step (2·(length + 1)), so attention can tell
 * the characters apart; the later groups pool the height only.
 */
export function widthPoolsFor(width: number, length: number): number {
  let k = 0;
  while (Math.ceil(width / 2 ** (k + 1)) >= 2 * (length + 1)) k++;
  return k;
}

/**
 * The CNN trunk as feature columns: cnnFeatures' conv groups, then
 * Transpose(1, 2) and View(-1, S, h·c): [N, H, W, C] → [N, S, F].
 */
export function columnTrunk(opts: ModelOptions): { trunk: Sequential; columns: number; features: number } {
  const f = cnnFeatures(opts, { widthPools: widthPoolsFor(opts.width, opts.length) });
  const convs = f.features.modules.slice(0, -1); // without the final View to a flat vector
  const features = f.height * f.channels;
  const trunk = new Sequential(...convs, new Transpose([1, 2]), new View(-1, f.width, features));
  return { trunk, columns: f.width, features };
}

/**
 * An EncoderDecoder for `opts`: the column trunk, SeqLSTM(F → H) over the
 * columns, LookupTable(V + 1 → E), FastLSTM(E + H → H), Linear(2H → V) +
 * LogSoftMax, and the attention `makeAttention(H)` if given; trained as
 * a seq2seq task whose end symbol is the blank (class V − 1).
 */
export function buildEncoderDecoder(opts: ModelOptions, who: string, makeAttention?: (hidden: number) => AttentionModule): ModelParts {
  checkModelOptions(opts, who);
  if (opts.numClasses < 2) throw new RangeError(`${who}: numClasses must count at least one character and the blank, got ${opts.numClasses}`);
  const { hidden: H, embed: E } = SIZES[opts.variant];
  const V = opts.numClasses;
  const { trunk, features } = columnTrunk(opts);
  const model = new EncoderDecoder(
    opts.length,
    trunk,
    new SeqLSTM(features, H, { batchFirst: true }),
    new LookupTable(V + 1, E),
    new FastLSTM(E + H, H),
    new Sequential(new Linear(2 * H, V), new LogSoftMax()),
    makeAttention?.(H),
  );
  return { model, task: seq2seqTask(V - 1) };
}
