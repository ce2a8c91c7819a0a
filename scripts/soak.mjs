// The soak test: train the compact CNN+RNN for many steps and sample, every few steps, the live
// tfjs tensors, the wasm heap and the process's RSS. After a warm-up the tensors and the wasm heap must not move,
// and the RSS's floor must not rise by more than --rss-slack-mb (read after a forced collection where the script
// runs with --expose-gc, as `npm run soak` does).
// Nightly: `npm run soak` (10,000 steps); CI runs a short one (`--steps 300 --batch 8`), and
// 200 steps of the 34-layer residual net on MNIST (`--model resnet --dataset mnist --depth 34`).
// Prints one JSON summary; exits 1 when something grew.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tf } from '@captcha-nn/core';
import '@captcha-nn/example-resnet-mnist';
import '@captcha-nn/example-rnn-captcha';
import { train } from '@captcha-nn/train';

const { values: o } = parseArgs({
  options: {
    steps: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '32' },
    model: { type: 'string', default: 'crnn' },
    // A registered IDX dataset (mnist, fashion-mnist) instead of generated captchas.
    dataset: { type: 'string' },
    // resnet's depth (6N + 10).
    depth: { type: 'string' },
    every: { type: 'string', default: '25' },
    'rss-slack-mb': { type: 'string', default: '64' },
  },
});
const steps = Number(o.steps);
const batch = Number(o.batch);
const every = Number(o.every);
const stepsPerEpoch = 100;
const out = mkdtempSync(join(tmpdir(), 'captcha-nn-soak-'));
const samples = [];
const wasmHeap = () => tf.backend()?.wasm?.HEAPU8?.length ?? 0;
const t0 = performance.now();
const stop = new AbortController();
try {
  await train(
    {
      model: o.model,
      data: o.dataset
        ? { kind: 'idx', dataset: o.dataset, trainSize: stepsPerEpoch * batch, valSize: batch }
        : { kind: 'generate', generator: 'simple', preset: 'seed', trainSize: stepsPerEpoch * batch, valSize: batch },
      ...(o.depth ? { modelOptions: { depth: Number(o.depth) } } : {}),
      epochs: Math.ceil(steps / stepsPerEpoch),
      batchSize: batch,
      workers: 1,
      seed: 'soak',
      out,
    },
    {
      signal: stop.signal,
      onStep: (s) => {
        // Mid-epoch only: at an epoch's last step no next batch is prefetched yet (3 tensors fewer).
        if (s.batch % every === 0 && s.batch < s.stepsPerEpoch) {
          // With --expose-gc (npm run soak), garbage awaiting collection is collected first, so the RSS read is closer
          // to what is live and its floor moves less by chance.
          globalThis.gc?.();
          samples.push({ step: s.step, tensors: tf.memory().numTensors, heap: wasmHeap(), rss: process.memoryUsage().rss });
        }
        if (s.step >= steps) stop.abort();
      },
    },
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}

// Warm-up: the first tenth of the samples (at least two), while kernels, caches and the heap settle.
const after = samples.slice(Math.max(2, Math.floor(samples.length / 10)));
const span = (k) => Math.max(...after.map((s) => s[k])) - Math.min(...after.map((s) => s[k]));
// RSS swings by tens of MB with the JS heap and the garbage awaiting collection, and falls back; a leak raises its
// floor: the lowest reading of the last third of the samples against the lowest of the first third.
const third = Math.max(1, Math.floor(after.length / 3));
const floorOf = (part) => Math.min(...part.map((s) => s.rss));
const rssGrowth = after.length ? floorOf(after.slice(-third)) - floorOf(after.slice(0, third)) : 0;
const summary = {
  model: o.model,
  steps,
  batch,
  seconds: Math.round((performance.now() - t0) / 1000),
  samples: samples.length,
  tensors: { first: after[0]?.tensors, growth: span('tensors') },
  wasmHeapBytes: { first: after[0]?.heap, growth: span('heap') },
  rssMB: { first: Math.round((after[0]?.rss ?? 0) / 2 ** 20), growth: Math.round(rssGrowth / 2 ** 20), swing: Math.round(span('rss') / 2 ** 20) },
};
const flat = after.length >= 2 && summary.tensors.growth === 0 && summary.wasmHeapBytes.growth === 0 && summary.rssMB.growth <= Number(o['rss-slack-mb']);
console.log(JSON.stringify({ ...summary, flat }));
if (!flat) {
  console.error('soak: memory grew after warm-up (tensors and the wasm heap must not grow; the floor of the RSS within --rss-slack-mb)');
  process.exit(1);
}
