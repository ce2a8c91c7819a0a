#!/usr/bin/env node
// Where a training step goes, kernel by kernel, one thread on wasm: the main
// job's compact CNN+RNN (`--model compact`, the default) on seed-preset
// captchas with Adam, the `ctc` reader's compact CNN+BiLSTM that fine-tunes
// start from (`--model ctc`, 64 high and `--width` wide: 160 as pre-trained,
// 240 as a fine-tune enlarges) on random images and 5-character labels with
// Adam, or examples/resnet-mnist's residual 34 with the
// global-average-pooling head (`--model resnet34`, issue #14's Fashion-MNIST
// net) on random 28×28 images with Nesterov SGD; the fused step. Prints the
// step's median time, the share of its three phases, and tf.profile's kernel
// times summed by kernel name and by kernel and input shapes. tf.profile
// counts a customGrad's `forward` as a kernel around the kernels inside it,
// so the kernel sum can exceed the step.
//   npm run step-profile -w @captcha-nn/benchmarks -- [--model compact|ctc|resnet34] [--width 240] [--batch 16] [--top 30]
import { parseArgs } from 'node:util';
import { tf, setBackend, fusedBackward, manualSeed, Optimizer, allowRelaxedSimdInNode, describeWasmSimd } from '@captcha-nn/core';
import { MNIST_INPUT, buildResnet } from '@captcha-nn/example-resnet-mnist';
import { buildCrnnCaptcha } from '@captcha-nn/example-rnn-captcha';
import { buildCtcCaptcha } from '@captcha-nn/example-seq2seq-captcha';
import { trainingInput } from '@captcha-nn/train';
import { sampleBatch } from '@captcha-nn/train/testing';
import { summary, table } from './stats.mjs';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'compact' },
    width: { type: 'string', default: '240' },
    batch: { type: 'string', default: '16' },
    top: { type: 'string', default: '30' },
  },
});
const B = Number(args.batch);
const TOP = Number(args.top);

/** The main job's net and a batch of its captchas. */
async function compactCase() {
  const b = await sampleBatch(B, 'step-profile');
  const [, height, width, channels] = b.x.shape;
  const { model, task } = buildCrnnCaptcha({ variant: 'compact', height, width, channels, length: b.y.shape[1], numClasses: 36 });
  const optimizer = new Optimizer(model, 'adam', { learningRate: 0.001 });
  return { name: 'compact CNN+RNN', model, task, optimizer, input: trainingInput(task, b.x, b.y), target: task.target(b.y) };
}

/** The general reader's net (62 characters and the blank), on random images and labels. */
function ctcCase() {
  manualSeed(1);
  const width = Number(args.width);
  const { model, task } = buildCtcCaptcha({ variant: 'compact', height: 64, width, channels: 1, length: 8, numClasses: 63 });
  const optimizer = new Optimizer(model, 'adam', { learningRate: 0.001 });
  const x = tf.randomUniform([B, 64, width, 1]);
  const y = tf.randomUniform([B, 5], 0, 62, 'int32');
  return { name: `ctc compact ${width}×64`, model, task, optimizer, input: trainingInput(task, x, y), target: task.target(y) };
}

/** Issue #14's Fashion-MNIST net (`--depth 34 --head gap`) and its optimizer, on random images. */
function resnetCase() {
  manualSeed(1);
  const { model, task } = buildResnet({ ...MNIST_INPUT, settings: { depth: 34, head: 'gap' } });
  const optimizer = new Optimizer(model, 'sgd', { learningRate: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-4 });
  return { name: 'residual 34 (gap head)', model, task, optimizer, input: tf.randomUniform([B, 28, 28, 1]), target: tf.randomUniform([B], 0, 10, 'int32') };
}

const CASES = { compact: compactCase, ctc: ctcCase, resnet34: resnetCase };
if (!(args.model in CASES)) throw new Error(`step-profile: --model must be one of ${Object.keys(CASES).join(', ')}, got ${args.model}`);
// As the CLI does: our kernels' relaxed-SIMD build where this Node has it behind a flag (CAPTCHA_NN_WASM_SIMD=plain: not).
allowRelaxedSimdInNode();
await setBackend('wasm');
const { name, model, task, optimizer, input, target } = await CASES[args.model]();
model.training();

const step = () => {
  model.zeroGradParameters();
  optimizer.step(fusedBackward(model, task.criterion, input, target));
};
/** Median milliseconds of `f` over `n` runs after 5 untimed ones. */
const median = (f, n = 15) => {
  for (let i = 0; i < 5; i++) f();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  return summary(times).median;
};

const whole = median(step);
const forward = median(() => tf.tidy(() => void task.criterion.lossTensor(model.apply(input), target).dataSync()));
const backward = median(() => {
  model.zeroGradParameters();
  fusedBackward(model, task.criterion, input, target);
});
const update = median(() => optimizer.step(0));
const [params] = model.parameters();
console.log(`${name}, ${params.reduce((s, p) => s + p.size, 0)} parameters, batch ${B}, wasm (${describeWasmSimd()}), one thread`);
console.log(
  `step ${whole.toFixed(1)} ms: forward and loss ${forward.toFixed(1)} ms; forward, loss and gradients ${backward.toFixed(1)} ms; ` +
    `optimizer ${update.toFixed(1)} ms`,
);

const RUNS = 5;
const byKernel = new Map();
const byShape = new Map();
let kernels = 0;
const add = (map, key, ms) => {
  const e = map.get(key) ?? { ms: 0, calls: 0 };
  e.ms += ms / RUNS;
  e.calls += 1 / RUNS;
  map.set(key, e);
};
for (let r = 0; r < RUNS; r++) {
  const info = await tf.profile(step);
  kernels = info.kernels.length;
  for (const k of info.kernels) {
    const ms = await k.kernelTimeMs;
    const t = typeof ms === 'number' ? ms : 0;
    add(byKernel, k.name, t);
    add(byShape, `${k.name} ${JSON.stringify(k.inputShapes)}`, t);
  }
}
const sum = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${kernels} kernels per step, their times summing to ${sum.toFixed(1)} ms (medians above; means of ${RUNS} profiled steps below)\n`);
const rows = (map) =>
  [...map]
    .sort((x, y) => y[1].ms - x[1].ms)
    .slice(0, TOP)
    .map(([name, e]) => [name, e.ms.toFixed(2), `${((100 * e.ms) / sum).toFixed(1)}%`, e.calls.toFixed(0)]);
console.log(table(['kernel', 'ms', 'share', 'calls'], rows(byKernel)));
console.log();
console.log(table(['kernel and input shapes', 'ms', 'share', 'calls'], rows(byShape)));
