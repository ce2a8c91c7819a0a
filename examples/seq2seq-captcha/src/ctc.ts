/**
 * The `ctc` model: CRNN (Shi et al. 2015), the design captcha and OCR
 * readers use today. A CNN turns the image into a sequence of feature
 * columns, a bidirectional LSTM reads them, and a Linear + LogSoftMax gives
 * each column's class log-probabilities, trained and decoded with CTC, so a
 * captcha may have any number of characters up to what its width allows.
 */
import { BiSequencer, FastLSTM, Linear, LogSoftMax, Sequential, Transpose, View } from '@captcha-nn/core';
import { cnnFeatures } from '@captcha-nn/example-cnn-captcha';
import { checkModelOptions, ctcTask, registerModel, type ModelOptions, type ModelParts } from '@captcha-nn/train';

/** Hidden units of each LSTM direction (the trunk is the CNN example's for the same variant). */
const HIDDEN = { seed: 256, compact: 128, wide: 128 } as const;

/** Pooling groups that halve the width too; the later ones halve the height only, so T = ⌈W/4⌉. */
const WIDTH_HALVINGS = 2;

/**
 * The CNN + BiLSTM + CTC reader.
 *
 * The CNN example's trunk for the variant (`seed`: VGG 64,64 | 128,128 |
 * 256×3 | 512×3 | 512×3; `compact`: 8 | 16 | 32 | 64 | 128,128; `wide`:
 * 32 | 64 | 128,128 | 192,192), each group
 * conv3×3+BN+ReLU units and a ceil-mode max pooling, 2×2 in the first two
 * groups and 1 wide × 2 high after (CRNN's trick: the height shrinks, the
 * columns stay); Transpose to [W', N, H', F] and View as T = W' time steps of
 * H'·F features; BiSequencer(FastLSTM(H'·F → H)) with the two directions
 * joined (2H); View(-1, 2H) → Linear(2H → numClasses) → LogSoftMax →
 * View(T, -1, numClasses).
 *
 * Shapes: input [N, height, width, channels]; output [T, N, numClasses]
 * log-probabilities, time-major as CTCCriterion takes them, T = ⌈width/4⌉
 * (40 for a 160-wide image: labels of up to 20 characters, or fewer when
 * characters repeat, CTC needing a blank between equal neighbours).
 * The blank is the last class (the LabelEncoder's).
 */
export function buildCtcCaptcha(opts: ModelOptions): ModelParts {
  checkModelOptions(opts, 'buildCtcCaptcha');
  const H = HIDDEN[opts.variant];
  const C = opts.numClasses;
  const trunk = cnnFeatures(opts, { widthPools: WIDTH_HALVINGS });
  // The trunk without its closing View(-1, size): the [N, H', W', F] feature map.
  const model = new Sequential(...trunk.features.modules.slice(0, -1));
  const T = trunk.width;
  const D = trunk.height * trunk.channels;
  // [N, H', W', F] → [W', H', N, F] → [W', N, H', F]: one step per column.
  model.add(new Transpose([0, 2], [1, 2]));
  model.add(new View(T, -1, D));
  model.add(new BiSequencer(new FastLSTM(D, H)));
  model.add(new View(-1, 2 * H));
  model.add(new Linear(2 * H, C));
  model.add(new LogSoftMax());
  model.add(new View(T, -1, C));
  return { model, task: ctcTask({ blank: C - 1, steps: T }) };
}

registerModel('ctc', buildCtcCaptcha, 'CNN + BiLSTM read with CTC, any label length (examples/seq2seq-captcha)');
