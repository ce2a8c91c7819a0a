import { LogSoftMax, Sequential, SpatialConvolution, Squeeze, Transpose, View } from '@captcha-nn/core';
import { cnnFeatures } from '@captcha-nn/example-cnn-captcha';
import { checkModelOptions, ctcTask, type ModelOptions, type ModelParts } from '@captcha-nn/train';

/**
 * The whole-image route's reader: the `ctc` model's convolutional trunk
 * (the CNN example's groups, the width halved twice so T = ⌈width/4⌉) with
 * no LSTM. A SpatialConvolution as tall as the feature map gives each column
 * its class scores, so each step sees only what the trunk's receptive field
 * holds (about 50 pixels, four or five letters), never the whole text: with
 * 500 training texts, the BiLSTM of `ctc` learned the texts themselves
 * (training loss 0.25, unseen texts 1.78) and read 33% of unseen letters.
 *
 * Shapes: input [N, height, width, channels]; output [T, N, numClasses]
 * log-probabilities (time-major, CTCCriterion's layout), the blank last.
 */
export function buildRedditCtc(opts: ModelOptions): ModelParts {
  checkModelOptions(opts, 'buildRedditCtc');
  const C = opts.numClasses;
  const trunk = cnnFeatures(opts, { widthPools: 2 });
  // The trunk without its closing View(-1, size): the [N, H', T, F] feature map.
  const model = new Sequential(...trunk.features.modules.slice(0, -1));
  const T = trunk.width;
  model.add(new SpatialConvolution(trunk.channels, C, 1, trunk.height));
  model.add(new Squeeze(1)); // [N, 1, T, C] → [N, T, C]
  model.add(new Transpose([0, 1]));
  model.add(new View(-1, C));
  model.add(new LogSoftMax());
  model.add(new View(T, -1, C));
  return { model, task: ctcTask({ blank: C - 1, steps: T }) };
}
