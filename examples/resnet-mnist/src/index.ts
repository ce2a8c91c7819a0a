/**
 * @captcha-nn/example-resnet-mnist: the 2016 Torch7 series' plain-versus-
 * residual experiment on MNIST and Fashion-MNIST. Importing the package
 * registers the `resnet` model (settings: depth 6N+10, residual or plain,
 * head, width) and the `mnist` and `fashion-mnist` datasets with @captcha-nn/train.
 */
import { Linear, LogSoftMax, Sequential, View } from '@captcha-nn/core';
import { checkModelOptions, classificationTask, registerModel, textTask, type ModelOptions, type ModelParts } from '@captcha-nn/train';
import { headPooling, trunk } from './nets';
import { resnetSettings } from './settings';
import './datasets';

export { plainUnit, residualUnit, trunk, trunkOutput, headPooling, halfCeil, stageWidths } from './nets';
export { resnetSettings, unitsPerStage, RESNET_DEFAULTS, type ResnetSettings, type Head } from './settings';
export { mnistDir, fashionMnistDir, FASHION_MNIST_DEBIAN_DIR } from './datasets';
export { readRun, comparisonPanels, plotComparisons, type RunCurves } from './compare';

/** A 28×28 grey image with one of the ten digits or garments (plus the blank class every classifier carries). */
export const MNIST_INPUT = { variant: 'compact', numClasses: 11, length: 1, height: 28, width: 28, channels: 1 } as const satisfies Omit<
  ModelOptions,
  'settings'
>;

/**
 * The net for `opts.settings` (depth, residual, head; defaults: 34, residual,
 * maxpool). One label per image: log-probabilities [N, numClasses] and a
 * classification task (ClassNLLCriterion). Longer labels (captchas) get
 * `length` positions of scores and a text task.
 */
export function buildResnet(opts: ModelOptions): ModelParts {
  checkModelOptions(opts, 'buildResnet');
  const s = resnetSettings(opts.settings);
  const pool = headPooling(s, opts.height, opts.width);
  const model = new Sequential(...trunk(s, opts.channels).modules, ...pool.modules);
  if (opts.length === 1) {
    model.add(new Linear(pool.features, opts.numClasses));
    model.add(new LogSoftMax());
    return { model, task: classificationTask() };
  }
  model.add(new Linear(pool.features, opts.length * opts.numClasses));
  model.add(new View(-1, opts.length, opts.numClasses));
  return { model, task: textTask('tensor') };
}

registerModel('resnet', buildResnet, 'plain or residual net of depth 6N+10 (--depth, --plain|--residual, --head), MNIST/Fashion-MNIST (examples/resnet-mnist)');
