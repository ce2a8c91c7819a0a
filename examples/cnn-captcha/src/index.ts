/**
 * @captcha-nn/example-cnn-captcha: the 2016 Torch7 captcha solver's
 * VGG-style CNN (`seed`), and a `compact` variant sized for CPU training on
 * the wasm backend. One image in, `length` characters out at once.
 * Importing the package registers it as `cnn` with @captcha-nn/train.
 */
import { Sequential, SpatialConvolution, SpatialBatchNormalization, SpatialMaxPooling, ReLU, View, Linear, BatchNormalization } from '@captcha-nn/core';
import { checkModelOptions, registerModel, textTask, type ModelOptions, type ModelParts } from '@captcha-nn/train';

/** Output size of a 2×2 stride-2 ceil-mode pooling. */
export const ceilHalf = (n: number): number => Math.ceil(n / 2);

/**
 * conv 3×3 pad 1 + BN + ReLU units, then a 2×2 stride-2 ceil-mode max pooling, per group;
 * groups from index `widthPools` on pool the height only (2×1).
 */
function vggGroups(net: Sequential, nIn: number, groups: number[][], widthPools: number): number {
  let c = nIn;
  for (const [i, g] of groups.entries()) {
    for (const w of g) {
      net.add(new SpatialConvolution(c, w, 3, 3, 1, 1, 1, 1));
      net.add(new SpatialBatchNormalization(w, 1e-3));
      net.add(new ReLU(true));
      c = w;
    }
    net.add(i < widthPools ? new SpatialMaxPooling(2, 2, 2, 2).ceil() : new SpatialMaxPooling(1, 2, 1, 2).ceil());
  }
  return c;
}

/**
 * Convolutional features and their flattened size: the trunk of both the CNN
 * and the CNN+RNN example (`seed`: the 2016 VGG groups; `compact`: groups
 * 8 | 16 | 32 | 64 | 128,128 from the full 50×200 input; `wide`: 32 | 64 |
 * 128,128 | 192,192), ending in View(-1, size).
 *
 * `widthPools`: how many groups halve the width too (default all); the later
 * ones pool the height only, keeping feature columns for models that read
 * the text left to right (the seq2seq example's encoders). The output is
 * [N, height, width, channels] before the View.
 */
export function cnnFeatures(
  opts: ModelOptions,
  { widthPools = Infinity }: { widthPools?: number } = {},
): { features: Sequential; size: number; height: number; width: number; channels: number } {
  const net = new Sequential();
  let h = opts.height;
  let w = opts.width;
  let groups: number[][];
  if (opts.variant === 'seed') {
    groups = [
      [64, 64],
      [128, 128],
      [256, 256, 256],
      [512, 512, 512],
      [512, 512, 512],
    ];
  } else if (opts.variant === 'wide') {
    // Four groups of 2–4× compact's channels. On real Gregwar captchas compact
    // was short of capacity, not of data (docs/results.md, issue #18).
    groups = [[32], [64], [128, 128], [192, 192]];
  } else {
    // Compact: a narrow full-resolution group first. An earlier version
    // average-pooled the input to 25×100 instead; it confused m/n and b/h
    // where the fisheye squeezes strokes to a pixel or two.
    groups = [[16], [32], [64], [128, 128]];
    if (h >= 40 && w >= 40) groups.unshift([8]);
  }
  const c = vggGroups(net, opts.channels, groups, widthPools);
  for (let i = 0; i < groups.length; i++) {
    h = ceilHalf(h);
    if (i < widthPools) w = ceilHalf(w);
  }
  const size = c * h * w;
  net.add(new View(-1, size));
  return { features: net, size, height: h, width: w, channels: c };
}

/**
 * The 2016 CNN (`seed`): VGG-style groups 64,64 | 128,128 | 256×3 | 512×3 |
 * 512×3 of conv3×3+BN+ReLU, each followed by 2×2 ceil-mode max pooling, then
 * View → Linear(512) → BN → ReLU → Linear(length·numClasses) →
 * View(length, numClasses), trained as a text task (MultiCrossEntropyCriterion).
 * `compact`: the same design with groups 8 | 16 | 32 | 64 | 128,128 and a
 * 256-unit hidden layer; `wide`: compact's head on groups 32 | 64 | 128,128 |
 * 192,192.
 */
export function buildCnnCaptcha(opts: ModelOptions): ModelParts {
  checkModelOptions(opts, 'buildCnnCaptcha');
  const { features, size } = cnnFeatures(opts);
  const hidden = opts.variant === 'seed' ? 512 : 256; // wide: compact's head
  const model = new Sequential(
    ...features.modules,
    new Linear(size, hidden),
    new BatchNormalization(hidden, 1e-3),
    new ReLU(true),
    new Linear(hidden, opts.length * opts.numClasses),
    new View(-1, opts.length, opts.numClasses),
  );
  return { model, task: textTask('tensor') };
}

registerModel('cnn', buildCnnCaptcha, 'VGG-style CNN, all characters at once (examples/cnn-captcha)');
