// The benchmark models, written once with captcha-nn's Torch-style modules.
// Each model is a plain spec (what PyTorch's and tfjs-layers' versions are
// built from too, so all three compute the same maths) plus a builder.
// The examples mirror these builders; keep them readable.
import {
  Sequential,
  ConcatTable,
  CAddTable,
  Identity,
  SpatialConvolution,
  SpatialBatchNormalization,
  SpatialMaxPooling,
  SpatialAveragePooling,
  BatchNormalization,
  Linear,
  ReLU,
  View,
  CrossEntropyCriterion,
  MultiCrossEntropyCriterion,
  MSECriterion,
  tf,
} from '@captcha-nn/core';
import * as core from '@captcha-nn/core';

// --------------------------------------------------------------------- specs

/**
 * Convnet specs for case (a): `stages` lists the conv widths of each stage;
 * every conv is 3×3 pad 1 + SpatialBatchNormalization + ReLU, and every stage
 * ends with a 2×2 stride-2 ceil-mode max pooling. Then Linear(→hidden) + BN +
 * ReLU + Linear(→chars·classes), viewed as [N, chars, classes].
 */
export const CAPTCHA = { height: 50, width: 200, channels: 1, chars: 5, classes: 23 };

/** The seed's VGG (the 2016 Torch captcha solver). */
export const VGG_SEED = {
  name: 'vgg-seed',
  kind: 'convnet',
  ...CAPTCHA,
  stages: [
    [64, 64],
    [128, 128],
    [256, 256, 256],
    [512, 512, 512],
    [512, 512, 512],
  ],
  hidden: 512,
};

/** A compact variant fit for CPU training. */
export const COMPACT = {
  name: 'compact',
  kind: 'convnet',
  ...CAPTCHA,
  stages: [[32], [64], [128]],
  hidden: 256,
};

/**
 * Case (c): a stem conv (3×3, 1→widths[0]) + BN + ReLU, then residual units
 * ConcatTable(Sequential(conv, BN, ReLU, conv, BN), shortcut) → CAddTable →
 * ReLU. `units` lists each unit's width; a unit that widens the previous one
 * downsamples (first conv stride 2, shortcut 1×1 stride-2 conv + BN), the
 * others keep Identity as shortcut. Then global average pooling and Linear.
 */
export const RESNET = {
  name: 'resnet',
  kind: 'resnet',
  height: 28,
  width: 28,
  channels: 1,
  classes: 10,
  units: [64, 64, 128, 128, 256, 256],
};

/** Case (b): an LSTM over T steps, then MSE against a random target (the loss is not the point). */
export const LSTM = { name: 'lstm', kind: 'lstm', inputSize: 256, hidden: 256, steps: 8 };

// ------------------------------------------------------------------ helpers

/** Spatial size after each 2×2 stride-2 ceil-mode pooling. */
export function convnetOutputSize(spec) {
  let h = spec.height;
  let w = spec.width;
  for (let i = 0; i < spec.stages.length; i++) {
    h = Math.ceil(h / 2);
    w = Math.ceil(w / 2);
  }
  return { h, w, c: spec.stages.at(-1).at(-1) };
}

/** Spatial size after the resnet's downsampling units (stride 2, pad 1, 3×3: ⌈x/2⌉). */
export function resnetOutputSize(spec) {
  let h = spec.height;
  let w = spec.width;
  for (let i = 1; i < spec.units.length; i++)
    if (spec.units[i] !== spec.units[i - 1]) {
      h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
    }
  return { h, w, c: spec.units.at(-1) };
}

/** Multiply-adds of one forward pass of one example (for deciding what the cpu backend can run). */
export function forwardMacs(spec) {
  let macs = 0;
  if (spec.kind === 'convnet') {
    let h = spec.height;
    let w = spec.width;
    let c = spec.channels;
    for (const stage of spec.stages) {
      for (const out of stage) {
        macs += h * w * c * out * 9;
        c = out;
      }
      h = Math.ceil(h / 2);
      w = Math.ceil(w / 2);
    }
    macs += h * w * c * spec.hidden + spec.hidden * spec.chars * spec.classes;
  } else if (spec.kind === 'resnet') {
    let h = spec.height;
    let w = spec.width;
    let c = spec.units[0];
    macs += h * w * spec.channels * c * 9;
    for (const out of spec.units) {
      const down = out !== c;
      const h2 = down ? Math.ceil(h / 2) : h;
      const w2 = down ? Math.ceil(w / 2) : w;
      macs += h2 * w2 * (c * out * 9 + out * out * 9 + (down ? c * out : 0));
      [h, w, c] = [h2, w2, out];
    }
    macs += c * spec.classes;
  } else if (spec.kind === 'lstm') {
    macs += spec.steps * 4 * spec.hidden * (spec.inputSize + spec.hidden);
  }
  return macs;
}

// ------------------------------------------------------------------ builders

/** conv 3×3 pad 1 → SpatialBatchNormalization → ReLU, appended to `seq`. */
function convBnRelu(seq, nIn, nOut) {
  seq.add(new SpatialConvolution(nIn, nOut, 3, 3, 1, 1, 1, 1));
  seq.add(new SpatialBatchNormalization(nOut));
  seq.add(new ReLU(true));
}

/** Case (a): the captcha convnet of `spec` (VGG_SEED or COMPACT). Input [N, H, W, 1]; output [N, chars, classes]. */
export function buildConvnet(spec) {
  const net = new Sequential();
  let c = spec.channels;
  for (const stage of spec.stages) {
    for (const out of stage) {
      convBnRelu(net, c, out);
      c = out;
    }
    net.add(new SpatialMaxPooling(2, 2, 2, 2).ceil());
  }
  const { h, w } = convnetOutputSize(spec);
  const flat = h * w * c;
  net.add(new View(-1, flat));
  net.add(new Linear(flat, spec.hidden));
  net.add(new BatchNormalization(spec.hidden));
  net.add(new ReLU(true));
  net.add(new Linear(spec.hidden, spec.chars * spec.classes));
  net.add(new View(-1, spec.chars, spec.classes));
  return { model: net, criterion: new MultiCrossEntropyCriterion() };
}

/** One residual unit nIn → nOut; downsamples (stride 2) when the width changes. */
export function residualUnit(nIn, nOut) {
  const stride = nIn === nOut ? 1 : 2;
  const body = new Sequential(
    new SpatialConvolution(nIn, nOut, 3, 3, stride, stride, 1, 1),
    new SpatialBatchNormalization(nOut),
    new ReLU(true),
    new SpatialConvolution(nOut, nOut, 3, 3, 1, 1, 1, 1),
    new SpatialBatchNormalization(nOut),
  );
  const shortcut = stride === 1 ? new Identity() : new Sequential(new SpatialConvolution(nIn, nOut, 1, 1, 2, 2), new SpatialBatchNormalization(nOut));
  return new Sequential(new ConcatTable(body, shortcut), new CAddTable(true), new ReLU(true));
}

/** Case (c): the residual stack of `spec`. Input [N, 28, 28, 1]; output [N, classes]. */
export function buildResnet(spec) {
  const net = new Sequential();
  convBnRelu(net, spec.channels, spec.units[0]);
  let c = spec.units[0];
  for (const out of spec.units) {
    net.add(residualUnit(c, out));
    c = out;
  }
  const { h, w } = resnetOutputSize(spec);
  net.add(new SpatialAveragePooling(w, h, 1, 1));
  net.add(new View(-1, c));
  net.add(new Linear(c, spec.classes));
  return { model: net, criterion: new CrossEntropyCriterion() };
}

/**
 * Case (b): an LSTM over spec.steps steps, input [T, N, inputSize]
 * (time-major, rnn's default), output [T, N, hidden], MSE loss.
 * `variant` 'SeqLSTM' (whole-sequence module) or 'Sequencer(FastLSTM)'.
 *
 * `batchFirst` (for DataParallelTable, which splits dimension 0): input
 * [N, T, inputSize]. SeqLSTM takes it as is; the Sequencer gets it through
 * SplitTable(1) and answers a table of T [N, hidden] outputs, so its
 * criterion is SequencerCriterion(MSE) and `input(batch)` turns the
 * [N, T, hidden] target into that table.
 */
export function buildLstm(spec, variant = 'SeqLSTM', { batchFirst = false } = {}) {
  if (variant === 'SeqLSTM') return { model: new core.SeqLSTM(spec.inputSize, spec.hidden, { batchFirst }), criterion: new MSECriterion() };
  const seq = new core.Sequencer(new core.FastLSTM(spec.inputSize, spec.hidden));
  if (!batchFirst) return { model: seq, criterion: new MSECriterion() };
  return {
    model: new Sequential(new core.SplitTable(1), seq),
    criterion: new core.SequencerCriterion(new MSECriterion()),
    input: ({ x, y }) => ({ x, y: core.tf.unstack(y, 1) }),
  };
}

/** Builds our model for any spec; `options.batchFirst` only changes the LSTMs. */
export function buildModel(spec, variant, options = {}) {
  if (spec.kind === 'convnet') return buildConvnet(spec);
  if (spec.kind === 'resnet') return buildResnet(spec);
  if (spec.kind === 'lstm') return buildLstm(spec, variant, options);
  throw new Error(`unknown model kind ${spec.kind}`);
}

/** Random inputs and targets, fixed for all steps; layout 'ours' (time-major LSTM) or 'layers'. */
export function makeBatch(spec, n, layout = 'ours') {
  return tf.tidy(() => {
    if (spec.kind === 'convnet')
      return {
        x: tf.randomNormal([n, spec.height, spec.width, spec.channels], 0, 1, 'float32', 1),
        y: tf.randomUniform([n, spec.chars], 0, spec.classes, 'int32', 2),
      };
    if (spec.kind === 'resnet')
      return {
        x: tf.randomNormal([n, spec.height, spec.width, spec.channels], 0, 1, 'float32', 1),
        y: tf.randomUniform([n], 0, spec.classes, 'int32', 2),
      };
    const shape = (f) => (layout === 'ours' ? [spec.steps, n, f] : [n, spec.steps, f]);
    return {
      x: tf.randomNormal(shape(spec.inputSize), 0, 1, 'float32', 1),
      y: tf.randomNormal(shape(spec.hidden), 0, 1, 'float32', 2),
    };
  });
}
