/**
 * @captcha-nn/example-rnn-captcha: the 2016 Torch7 captcha solver's CNN+RNN
 * (`seed`), and a `compact` variant sized for CPU training on the wasm
 * backend. A CNN encodes the image into `length` feature vectors
 * (SplitTable), a Sequencer'd `Recurrent` reads them in order, and a
 * Sequencer'd Linear + LogSoftMax gives each character's log-probabilities;
 * trained with SequencerCriterion(ClassNLLCriterion). Importing the package
 * registers it as `crnn` with @captcha-nn/train.
 */
import { Sequential, Linear, BatchNormalization, ReLU, View, SplitTable, LogSoftMax, Recurrent, Sequencer } from '@captcha-nn/core';
import { cnnFeatures } from '@captcha-nn/example-cnn-captcha';
import { checkModelOptions, registerModel, textTask, type ModelOptions, type ModelParts } from '@captcha-nn/train';

// The CNN example's narrow full-resolution trunk (8 | 16 | 32 | 64 | 128,128); `wide` keeps this head on its wider trunk.
const COMPACT_HEAD = { step: 128, hidden: 128 } as const;

/** Sizes of each variant's head (the trunk is the CNN example's `cnnFeatures` for the same variant). */
const SIZES = {
  // The seed's VGG trunk; 512 features per step, a 256-unit recurrent layer.
  seed: { step: 512, hidden: 256 },
  compact: COMPACT_HEAD,
  wide: COMPACT_HEAD,
} as const;

/**
 * The CNN+RNN: the CNN example's trunk (`cnnFeatures`: conv3×3+BN+ReLU
 * groups each followed by 2×2 ceil-mode max pooling, then View); then
 * Linear(length·step) → BN → ReLU → View(length, step) → SplitTable(1) →
 * Sequencer(Recurrent(hidden, Linear(step→hidden), Linear(hidden→hidden),
 * ReLU)) → Sequencer(Linear(hidden→numClasses)) → Sequencer(LogSoftMax).
 */
export function buildCrnnCaptcha(opts: ModelOptions): ModelParts {
  checkModelOptions(opts, 'buildCrnnCaptcha');
  const s = SIZES[opts.variant];
  const { length: L, numClasses: C } = opts;
  const { features, size } = cnnFeatures(opts);
  const model = new Sequential(...features.modules);
  model.add(new Linear(size, L * s.step));
  model.add(new BatchNormalization(L * s.step, 1e-3));
  model.add(new ReLU(true));
  model.add(new View(-1, L, s.step));
  model.add(new SplitTable(1));
  model.add(new Sequencer(new Recurrent(s.hidden, new Linear(s.step, s.hidden), new Linear(s.hidden, s.hidden), new ReLU(), L)));
  model.add(new Sequencer(new Linear(s.hidden, C)));
  model.add(new Sequencer(new LogSoftMax()));
  return { model, task: textTask('table') };
}

registerModel('crnn', buildCrnnCaptcha, 'CNN features + recurrent head (examples/rnn-captcha)');
