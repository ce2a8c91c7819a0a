import { Linear, LogSoftMax, ReLU, Sequential, SpatialBatchNormalization, SpatialConvolution, SpatialMaxPooling, View } from '@captcha-nn/core';
import { checkModelOptions, classificationTask, type ModelOptions, type ModelParts } from '@captcha-nn/train';

/**
 * The per-letter classifier: three conv 3×3 + BN + ReLU + 2×2 max-pooling
 * stages (8, 16, 32 channels; `seed` and `wide` 32, 64, 128), then Linear(128) →
 * ReLU → Linear(numClasses) → LogSoftMax, trained as a classification task
 * (ClassNLLCriterion) on single segmented letters.
 */
export function buildRedditLetter(opts: ModelOptions): ModelParts {
  checkModelOptions(opts, 'buildRedditLetter');
  if (opts.length !== 1) throw new RangeError(`buildRedditLetter: reads one letter per image, but the labels are up to ${opts.length} characters long`);
  // wide: 4× compact's channels, which are the seed's.
  const widths = opts.variant === 'compact' ? [8, 16, 32] : [32, 64, 128];
  const net = new Sequential();
  let c = opts.channels;
  let h = opts.height;
  let w = opts.width;
  for (const out of widths) {
    net.add(new SpatialConvolution(c, out, 3, 3, 1, 1, 1, 1));
    net.add(new SpatialBatchNormalization(out, 1e-3));
    net.add(new ReLU(true));
    net.add(new SpatialMaxPooling(2, 2, 2, 2).ceil());
    c = out;
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  }
  const size = c * h * w;
  net.add(new View(-1, size));
  net.add(new Linear(size, 128));
  net.add(new ReLU(true));
  net.add(new Linear(128, opts.numClasses));
  net.add(new LogSoftMax());
  return { model: net, task: classificationTask() };
}
