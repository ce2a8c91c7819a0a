#!/usr/bin/env node
// Inference speed of examples/resnet-mnist's net (issue #14): images per second
// at batch 1 and batch 256, ours (as trained, and with BatchNormalization folded
// into the convolutions by foldBatchNorm) against the same net in tfjs-layers, on the
// same tfjs engine and backend, timed in interleaved rounds (ours, then
// layers, in every round) so that a noisy machine hurts both alike.
//
//   npm run resnet-mnist-infer -w @captcha-nn/benchmarks -- [--depth 34] [--plain] [--head maxpool|gap]
//       [--batch 1,256] [--rounds 9] [--backend wasm] [--out FILE]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { foldBatchNorm, manualSeed, setBackend, tf } from '@captcha-nn/core';
import { buildResnet, resnetSettings, stageWidths, unitsPerStage } from '@captcha-nn/example-resnet-mnist';
import * as tfl from '@tensorflow/tfjs-layers';
import { summary, table } from './stats.mjs';

const { values: o } = parseArgs({
  options: {
    depth: { type: 'string', default: '34' },
    plain: { type: 'boolean', default: false },
    head: { type: 'string', default: 'maxpool' },
    batch: { type: 'string', default: '1,256' },
    rounds: { type: 'string', default: '9' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
  },
});
const settings = resnetSettings({ depth: Number(o.depth), residual: !o.plain, head: o.head });
const batches = o.batch.split(',').map(Number);
const rounds = Number(o.rounds);
const CLASSES = 11;

/**
 * The same net in tfjs-layers. 'same' padding gives Torch's output sizes here
 * (3×3 pad 1 and 1×1 pad 0, stride 1 or 2; 2×2 ceil pooling), with the odd
 * pixel padded on one side instead of both, which does not change the work.
 */
function layersResnet(s) {
  const bn = () => tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5 });
  const conv = (filters, kernelSize, strides = 1) => tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same' });
  const relu = (x) => tfl.layers.reLU().apply(x);
  const input = tfl.input({ shape: [28, 28, 1] });
  let x = input;
  for (let i = 0; i < 3; i++) x = relu(bn().apply(conv(s.width, 3).apply(x)));
  let c = s.width;
  const unit = (x, nIn, nOut, stride) => {
    const branch = bn().apply(conv(nOut, 3).apply(relu(bn().apply(conv(nOut, 3, stride).apply(x)))));
    if (!s.residual) return relu(branch);
    const shortcut = nIn === nOut && stride === 1 ? x : bn().apply(conv(nOut, 1, stride).apply(x));
    return relu(tfl.layers.add().apply([branch, shortcut]));
  };
  stageWidths(s.width).forEach((w, stage) => {
    x = unit(x, c, w, stage === 0 ? 1 : 2);
    for (let u = 0; u < unitsPerStage(s.depth); u++) x = unit(x, w, w, 1);
    c = w;
  });
  if (s.head === 'gap') x = tfl.layers.globalAveragePooling2d({}).apply(x);
  else x = tfl.layers.flatten().apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }).apply(x));
  const out = tfl.layers.activation({ activation: 'softmax' }).apply(tfl.layers.dense({ units: CLASSES }).apply(x));
  return tfl.model({ inputs: input, outputs: out });
}

await setBackend(o.backend);
manualSeed(1);
const ours = buildResnet({ variant: 'compact', numClasses: CLASSES, length: 1, height: 28, width: 28, channels: 1, settings }).model;
ours.evaluate();
const layers = layersResnet(settings);
// The same net: the same number of trainable parameters.
const oursParams = ours.parameters()[0].reduce((a, p) => a + p.size, 0);
const layersParams = layers.trainableWeights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
if (oursParams !== layersParams) throw new Error(`resnet-mnist-infer: ${oursParams} parameters in ours, ${layersParams} in tfjs-layers`);
const folded = foldBatchNorm(ours);
const runners = {
  ours: (x) => ours.forward(x).dataSync(), // the module owns its output and frees it on the next forward
  folded: (x) => folded.forward(x).dataSync(),
  layers: (x) => {
    const y = layers.predict(x);
    y.dataSync();
    y.dispose();
  },
};

const rows = [];
for (const n of batches) {
  const x = tf.randomNormal([n, 28, 28, 1], 0, 1, 'float32', 1);
  // A timed call: enough forwards for about 0.3 s at batch 1, one at large batches.
  const reps = Math.max(1, Math.round(64 / n));
  const times = { ours: [], folded: [], layers: [] };
  for (const run of Object.values(runners)) run(x); // warm-up: kernels, Winograd filter caches
  const [a, b] = [ours.forward(x), folded.forward(x)]; // each module keeps (and later frees) its output
  const gap = tf.tidy(() => tf.max(tf.abs(a.sub(b))).dataSync()[0]);
  if (!(gap < 1e-4)) throw new Error(`resnet-mnist-infer: the folded net differs from ours by ${gap} at batch ${n}`);
  const tensors = tf.memory().numTensors;
  for (let r = 0; r < rounds; r++)
    for (const [name, run] of Object.entries(runners)) {
      const t = performance.now();
      for (let i = 0; i < reps; i++) run(x);
      times[name].push((performance.now() - t) / reps);
    }
  if (tf.memory().numTensors !== tensors) throw new Error(`resnet-mnist-infer: tensors grew from ${tensors} to ${tf.memory().numTensors} at batch ${n}`);
  tf.dispose(x);
  const s = { ours: summary(times.ours), folded: summary(times.folded), layers: summary(times.layers) };
  // Per-round ratios, median: each round timed both nets within a second.
  const medianRatio = (a) => a.map((t, i) => t / times.layers[i]).sort((p, q) => p - q)[a.length >> 1];
  rows.push({
    batch: n,
    ours: s.ours,
    folded: s.folded,
    layers: s.layers,
    oursImagesPerSecond: (1000 * n) / s.ours.median,
    foldedImagesPerSecond: (1000 * n) / s.folded.median,
    layersImagesPerSecond: (1000 * n) / s.layers.median,
    timeRatio: medianRatio(times.ours),
    foldedTimeRatio: medianRatio(times.folded),
  });
}

const net = `${settings.residual ? 'residual' : 'plain'} ${settings.depth} (${settings.head})`;
console.log(`resnet-mnist ${net}, inference (evaluate mode), ${o.backend}, ${rounds} interleaved rounds; ${os.cpus()[0]?.model}`);
console.log(
  table(
    ['batch', 'ours ms', 'folded ms', 'tfjs-layers ms', 'ours images/s', 'folded images/s', 'tfjs-layers images/s', 'ours / layers', 'folded / layers'],
    rows.map((r) => [
      r.batch,
      ...[r.ours, r.folded, r.layers].map((t) => t.median.toFixed(t.median < 100 ? 2 : 0)),
      ...[r.oursImagesPerSecond, r.foldedImagesPerSecond, r.layersImagesPerSecond].map((v) => v.toFixed(0)),
      `${r.timeRatio.toFixed(2)}×`,
      `${r.foldedTimeRatio.toFixed(2)}×`,
    ]),
  ),
);
if (o.out) {
  const meta = { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, backend: o.backend, tfjs: tf.version_core };
  writeFileSync(o.out, `${JSON.stringify({ meta, net: settings, rows }, null, 2)}\n`);
}
