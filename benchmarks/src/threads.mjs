#!/usr/bin/env node
// Issue #17, part 2: every core inside a step. Compares, on the same model and batch, in one run:
//   1T   wasm, one thread (tfjs's single-threaded SIMD build; the default);
//   NT   wasm, N threads (tfjs's threaded SIMD build, XNNPACK's pool and our Winograd kernels' helpers);
//   DP   DataParallelTable over N single-threaded replicas (what `captcha-nn train --workers N` does).
// Each configuration lives in its own worker thread with its own tfjs, so only one runs at a time;
// every round times each of them (in a rotating order) for a few fused training steps, so a busy machine
// slows them alike. Ratios are medians of per-round ratios against 1T. Inference (batch 1 and the training
// batch): 1T against NT.
//   npm run threads -w @captcha-nn/benchmarks -- [--model compact,resnet,vgg-seed] [--batch 32]
//     [--threads N (default: the physical cores)] [--rounds 7] [--steps 3] [--configs 1T,NT,DP] [--out FILE]
// An idle NT configuration still slows the others (its thread pool stays resident; docs/results.md, the AMD
// section of #17): --configs 1T,DP leaves it out, and inference with it.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { physicalCores } from '@captcha-nn/core';
import { COMPACT, RESNET, VGG_SEED } from './models.mjs';
import { summary } from './stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SPECS = { compact: COMPACT, resnet: RESNET, 'vgg-seed': VGG_SEED };

const { values } = parseArgs({
  strict: true,
  options: {
    model: { type: 'string', default: 'compact,resnet' },
    batch: { type: 'string', default: '32' },
    threads: { type: 'string' },
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '3' },
    configs: { type: 'string', default: '1T,NT,DP' },
    out: { type: 'string' },
  },
});
const int = (v, name, min) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`threads.mjs: --${name} must be an integer >= ${min}, got '${v}'`);
  return n;
};
const models = values.model.split(',').map((m) => {
  if (!SPECS[m]) throw new Error(`threads.mjs: unknown --model '${m}' (${Object.keys(SPECS).join(', ')})`);
  return m;
});
const batch = int(values.batch, 'batch', 1);
const threads = values.threads === undefined ? await physicalCores() : int(values.threads, 'threads', 2);
const rounds = int(values.rounds, 'rounds', 1);
const steps = int(values.steps, 'steps', 1);
if (threads < 2) throw new Error('threads.mjs: one physical core here; pass --threads 2 or more to compare');
const CONFIGS = {
  '1T': { label: '1T', threads: 1 },
  NT: { label: `${threads}T`, threads },
  DP: { label: `DP ${threads}×1T`, threads: 1, replicas: threads },
};
const configNames = values.configs.split(',');
for (const c of configNames) if (!CONFIGS[c]) throw new Error(`threads.mjs: unknown --configs entry '${c}' (1T, NT, DP)`);
if (configNames[0] !== '1T') throw new Error('threads.mjs: --configs must start with 1T (the speed-ups are against it)');
// Inference compares 1T with NT (DP has no inference of its own).
const withInference = configNames.includes('NT');

function start(spec, config) {
  const w = new Worker(join(here, 'threads-worker.mjs'), { workerData: { spec, batch, ...config } });
  const replies = [];
  const waiting = [];
  w.on('message', (m) => (waiting.length ? waiting.shift()(m) : replies.push(m)));
  w.on('error', (e) => {
    console.error(`threads.mjs: worker ${JSON.stringify(config)} failed: ${e.stack ?? e}`);
    process.exit(1);
  });
  const next = () => (replies.length ? Promise.resolve(replies.shift()) : new Promise((r) => waiting.push(r)));
  return {
    ready: next(),
    ask: (op, n, inferBatch) => {
      w.postMessage({ op, n, inferBatch });
      return next();
    },
    exit: () => w.postMessage({ op: 'exit' }),
  };
}

const median = (a) => summary(a).median;
const results = [];
console.log(
  `${os.cpus()[0]?.model}, ${os.cpus().length} CPUs; Node ${process.version}; ${rounds} rounds of ${steps} steps; load ${os.loadavg()[0].toFixed(1)}`,
);
for (const name of models) {
  const spec = SPECS[name];
  const configs = configNames.map((c) => CONFIGS[c]);
  const nt = configNames.indexOf('NT');
  const workers = configs.map((c) => start(spec, c));
  const started = await Promise.all(workers.map((w) => w.ready));
  // Warm-up: one call of each, untimed.
  for (const w of workers) await w.ask('train', 1);
  const train = configs.map(() => []);
  // Inference at batch 1 and at the training batch: 1T and NT.
  const inferBatches = withInference ? [1, batch] : [];
  const infer = inferBatches.map(() => [[], []]);
  const leaked = { train: configs.map(() => 0), infer: [0, 0] };
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < configs.length; k++) {
      const i = (k + r) % configs.length;
      const { times, tensorsGained } = await workers[i].ask('train', steps);
      train[i].push(median(times));
      // The first round's gains are a call's first outputs (kept by the modules, replaced after): not counted.
      if (r > 0) leaked.train[i] += tensorsGained;
    }
    for (const [b, size] of inferBatches.entries())
      for (const j of r % 2 ? [1, 0] : [0, 1]) {
        // j: 0 = 1T, 1 = NT (configs[nt])
        const { times, tensorsGained } = await workers[j ? nt : 0].ask('infer', size === 1 ? 10 : 3, size);
        infer[b][j].push(median(times));
        if (r > 0) leaked.infer[j] += tensorsGained;
      }
  }
  for (const w of workers) w.exit();
  const row = {
    model: name,
    batch,
    threadsInUse: started.map((s) => s.threads),
    train: configs.map((c, i) => ({ config: c.label, ...summary(train[i]), samplesPerSecond: (1000 * batch) / median(train[i]) })),
    trainSpeedup: configs.map((_, i) => median(train[0].map((t, r) => t / train[i][r]))),
    infer: inferBatches.map((size, b) => ({
      batch: size,
      times: [0, 1].map((j) => ({ config: configs[j ? nt : 0].label, ...summary(infer[b][j]) })),
      speedup: median(infer[b][0].map((t, r) => t / infer[b][1][r])),
    })),
    tensorsLeaked: leaked,
  };
  results.push(row);
  console.log(`\n${name}, batch ${batch} (threads in use: ${row.threadsInUse.join(', ')}; tensors gained after round 1: ${JSON.stringify(leaked)})`);
  console.log('| configuration | fused step, median ms | samples/s | speed-up over 1T (median of rounds) |');
  console.log('| --- | --- | --- | --- |');
  row.train.forEach((t, i) => console.log(`| ${t.config} | ${t.median.toFixed(1)} | ${t.samplesPerSecond.toFixed(0)} | ${row.trainSpeedup[i].toFixed(2)}× |`));
  for (const f of row.infer)
    console.log(
      `| batch-${f.batch} inference, 1T / ${threads}T | ${f.times[0].median.toFixed(2)} / ${f.times[1].median.toFixed(2)} ms | ${((1000 * f.batch) / f.times[0].median).toFixed(0)} / ${((1000 * f.batch) / f.times[1].median).toFixed(0)} | ${f.speedup.toFixed(2)}× |`,
    );
}
const out = values.out ?? join(here, '..', 'results', `${new Date().toISOString().slice(0, 10)}-${os.hostname()}-threads.json`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cpus: os.cpus().length, node: process.version, rounds, steps, threads, results }, null, 2)}\n`,
);
console.log(`\nwrote ${out}`);
