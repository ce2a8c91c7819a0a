/**
 * @captcha-nn/example-rnn-captcha: the 2016 Torch7 captcha solver's CNN+RNN
 * (`seed`), and a `compact` variant sized for CPU training on the wasm
 * backend. A CNN encodes the image into `length` feature vectors
 * (SplitTable), a Sequencer'd `Recurrent` reads them in order, and a
 * Sequencer'd Linear + LogSoftMax gives each character's log-probabilities;
 * trained with SequencerCriterion(ClassNLLCriterion).
 */
import {
  Sequential,
  SpatialConvolution,
  SpatialBatchNormalization,
  SpatialMaxPooling,
  SpatialAveragePooling,
  ReLU,
  View,
  Linear,
  BatchNormalization,
  SplitTable,
  LogSoftMax,
  ClassNLLCriterion,
  Recurrent,
  Sequencer,
  SequencerCriterion,
  type Module,
  type Criterion,
} from '@captcha-nn/core';

export interface CaptchaModelOptions {
  /** `seed`: the 2016 network; `compact`: sized for CPU (wasm) training. */
  variant: 'seed' | 'compact';
  /** Classes per character (e.g. LabelEncoder.numClasses: the 23 characters plus the blank). */
  numClasses: number;
  /** Characters per captcha (recurrent steps). */
  length: number;
  /** Input image, NHWC. */
  height: number;
  width: number;
  channels: number;
}

export interface CaptchaModel {
  model: Module;
  criterion: Criterion;
  /**
   * `tensor`: the criterion takes the [N,length] int32 target and the model
   * outputs [N,length,numClasses] scores. `table`: the criterion takes a
   * table of `length` [N] targets and the model outputs a table of `length`
   * [N,numClasses] log-probabilities.
   */
  targetFormat: 'tensor' | 'table';
}

/** Output size of a 2×2 stride-2 ceil-mode pooling. */
const ceilHalf = (n: number): number => Math.ceil(n / 2);

function checkOptions(o: CaptchaModelOptions, who: string): void {
  for (const k of ['numClasses', 'length', 'height', 'width', 'channels'] as const) {
    const v = o[k];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${who}: ${k} must be a positive integer, got ${v}`);
  }
  if (o.variant !== 'seed' && o.variant !== 'compact') throw new RangeError(`${who}: unknown variant '${String(o.variant)}' (seed | compact)`);
}

/** Sizes of each variant. */
const SIZES = {
  // The seed's VGG trunk; 512 features per step, a 256-unit recurrent layer.
  seed: { down: false, groups: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]], step: 512, hidden: 256 },
  // 2× average-pooled input (50×200 → 25×100), four narrow groups.
  compact: { down: true, groups: [[16], [32], [64], [128]], step: 128, hidden: 128 },
} as const;

/**
 * The CNN+RNN: conv3×3+BN+ReLU groups each followed by 2×2 ceil-mode max
 * pooling; View → Linear(length·step) → BN → ReLU → View(length, step) →
 * SplitTable(1) → Sequencer(Recurrent(hidden, Linear(step→hidden),
 * Linear(hidden→hidden), ReLU)) → Sequencer(Linear(hidden→numClasses)) →
 * Sequencer(LogSoftMax).
 */
export function buildCrnnCaptcha(opts: CaptchaModelOptions): CaptchaModel {
  checkOptions(opts, 'buildCrnnCaptcha');
  const s = SIZES[opts.variant];
  const { length: L, numClasses: C } = opts;
  const model = new Sequential();
  let h = opts.height;
  let w = opts.width;
  let c = opts.channels;
  if (s.down && h >= 40 && w >= 40) {
    model.add(new SpatialAveragePooling(2, 2, 2, 2).ceil());
    h = ceilHalf(h);
    w = ceilHalf(w);
  }
  for (const g of s.groups) {
    for (const k of g) {
      model.add(new SpatialConvolution(c, k, 3, 3, 1, 1, 1, 1));
      model.add(new SpatialBatchNormalization(k, 1e-3));
      model.add(new ReLU(true));
      c = k;
    }
    model.add(new SpatialMaxPooling(2, 2, 2, 2).ceil());
    h = ceilHalf(h);
    w = ceilHalf(w);
  }
  const flat = c * h * w;
  model.add(new View(-1, flat));
  model.add(new Linear(flat, L * s.step));
  model.add(new BatchNormalization(L * s.step, 1e-3));
  model.add(new ReLU(true));
  model.add(new View(-1, L, s.step));
  model.add(new SplitTable(1));
  model.add(new Sequencer(new Recurrent(s.hidden, new Linear(s.step, s.hidden), new Linear(s.hidden, s.hidden), new ReLU(), L)));
  model.add(new Sequencer(new Linear(s.hidden, C)));
  model.add(new Sequencer(new LogSoftMax()));
  return { model, criterion: new SequencerCriterion(new ClassNLLCriterion()), targetFormat: 'table' };
}
