// The benchmark models of models.mjs written with @tensorflow/tfjs-layers,
// on the same tfjs engine (and backend) as captcha-nn, with the same maths:
// 3×3 'same' convs, BN (eps 1e-5, momentum 0.9 = Torch's 0.1), ReLU, 2×2
// stride-2 max pooling with 'same' padding (= Torch's ceil mode for k = s = 2).
// Training is a custom step: tf.variableGrads via optimizer.minimize, then
// tf.train.momentum (SGD momentum 0.9, no dampening, like optim.sgd with
// dampening 0 and torch.optim.SGD).
import { tf } from '@captcha-nn/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { convnetOutputSize } from './models.mjs';

const bn = () => tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 });

function convnet(spec) {
  const layers = [];
  let first = true;
  for (const stage of spec.stages) {
    for (const filters of stage) {
      layers.push(
        tfl.layers.conv2d({
          filters,
          kernelSize: 3,
          padding: 'same',
          ...(first ? { inputShape: [spec.height, spec.width, spec.channels] } : {}),
        }),
        bn(),
        tfl.layers.reLU(),
      );
      first = false;
    }
    layers.push(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }));
  }
  const { h, w, c } = convnetOutputSize(spec);
  layers.push(
    tfl.layers.reshape({ targetShape: [h * w * c] }),
    tfl.layers.dense({ units: spec.hidden }),
    bn(),
    tfl.layers.reLU(),
    tfl.layers.dense({ units: spec.chars * spec.classes }),
    tfl.layers.reshape({ targetShape: [spec.chars, spec.classes] }),
  );
  const model = tfl.sequential({ layers });
  // MultiCrossEntropyCriterion: mean cross-entropy over all N·k characters.
  const loss = (out, y) => tf.losses.softmaxCrossEntropy(tf.oneHot(y.reshape([-1]), spec.classes), out.reshape([-1, spec.classes]));
  return { model, loss };
}

function resnet(spec) {
  const input = tfl.input({ shape: [spec.height, spec.width, spec.channels] });
  const conv = (filters, kernelSize, strides) => tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same' });
  let x = tfl.layers.reLU().apply(bn().apply(conv(spec.units[0], 3, 1).apply(input)));
  let c = spec.units[0];
  for (const out of spec.units) {
    const stride = out === c ? 1 : 2;
    let body = tfl.layers.reLU().apply(bn().apply(conv(out, 3, stride).apply(x)));
    body = bn().apply(conv(out, 3, 1).apply(body));
    const shortcut = stride === 1 ? x : bn().apply(tfl.layers.conv2d({ filters: out, kernelSize: 1, strides: 2 }).apply(x));
    x = tfl.layers.reLU().apply(tfl.layers.add().apply([body, shortcut]));
    c = out;
  }
  x = tfl.layers.globalAveragePooling2d({}).apply(x);
  const output = tfl.layers.dense({ units: spec.classes }).apply(x);
  const model = tfl.model({ inputs: input, outputs: output });
  const loss = (out, y) => tf.losses.softmaxCrossEntropy(tf.oneHot(y, spec.classes), out);
  return { model, loss };
}

function lstm(spec) {
  // tfjs-layers RNNs are batch-major: input [N, T, I].
  const model = tfl.sequential({
    layers: [tfl.layers.lstm({ units: spec.hidden, returnSequences: true, inputShape: [spec.steps, spec.inputSize] })],
  });
  return { model, loss: (out, y) => tf.losses.meanSquaredError(y, out) };
}

/** { model, loss(out, y) } for a spec of models.mjs. */
export function buildLayersModel(spec) {
  if (spec.kind === 'convnet') return convnet(spec);
  if (spec.kind === 'resnet') return resnet(spec);
  if (spec.kind === 'lstm') return lstm(spec);
  throw new Error(`unknown model kind ${spec.kind}`);
}

/** One training step: loss, gradients of the trainable variables, momentum SGD. Returns the loss. */
export function layersTrainStep(model, loss, optimizer, x, y) {
  const vars = model.trainableWeights.map((w) => w.read());
  const l = optimizer.minimize(() => loss(model.apply(x, { training: true }), y), true, vars);
  const v = l.dataSync()[0];
  l.dispose();
  return v;
}

/** Batch-1 inference (training false). */
export function layersInfer(model, x) {
  const out = model.predict(x);
  out.dataSync();
  out.dispose();
}

export const layersVersion = tfl.version_layers;
