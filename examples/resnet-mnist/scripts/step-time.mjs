#!/usr/bin/env node
// Time and memory of training steps of the resnet on MNIST-sized input (random images), one process per call:
//   node scripts/step-time.mjs [--depth 34] [--plain] [--batch 32] [--steps 5] [--backend wasm]
// Prints one JSON line: the median step after a warm-up step, the wasm heap and the process RSS.
import { parseArgs } from 'node:util';
import { Optimizer, fusedBackward, manualSeed, setBackend, tf } from '@captcha-nn/core';
import { MNIST_INPUT, buildResnet } from '../dist/index.js';

const { values: o } = parseArgs({
  options: {
    depth: { type: 'string', default: '34' },
    plain: { type: 'boolean', default: false },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const batch = Number(o.batch);
await setBackend(o.backend);
manualSeed(1);
const { model, task } = buildResnet({ ...MNIST_INPUT, settings: { depth: Number(o.depth), residual: !o.plain } });
const optimizer = new Optimizer(model, 'sgd', { learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4 });
const x = tf.randomUniform([batch, 28, 28, 1]);
const y = tf.randomUniform([batch], 0, 10, 'int32');
model.training();
const times = [];
for (let i = 0; i <= Number(o.steps); i++) {
  const t0 = performance.now();
  model.zeroGradParameters();
  optimizer.step(fusedBackward(model, task.criterion, x, y));
  if (i > 0) times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const heap = tf.backend().wasm?.HEAPU8?.buffer.byteLength;
const mib = (n) => (n === undefined ? null : Math.round(n / 2 ** 20));
process.stdout.write(
  `${JSON.stringify({
    depth: Number(o.depth),
    residual: !o.plain,
    batch,
    backend: tf.getBackend(),
    stepMs: Math.round(times[Math.floor(times.length / 2)]),
    minMs: Math.round(times[0]),
    imagesPerSecond: Math.round((1000 * batch) / times[Math.floor(times.length / 2)]),
    wasmHeapMiB: mib(heap),
    rssMiB: mib(process.memoryUsage().rss),
    tensors: tf.memory().numTensors,
  })}\n`,
);
