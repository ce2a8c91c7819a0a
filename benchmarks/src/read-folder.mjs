#!/usr/bin/env node
// Issue #17: reading a folder with a trained model (what `captcha-nn predict` and `eval` do) over every core,
// two ways, in one run:
//   threads   one replica on wasm's threaded build, N threads (the CLI's default for reading);
//   replicas  a DataParallelTable over N single-threaded replicas (what `train --workers N` and the
//             self-training pool's reading use), each batch split over them.
// wasm's thread count is fixed when the backend starts, so each reading is a child process; rounds
// alternate the order. Times cover predictFiles (loading, forward, decoding), not start-up, which is
// reported apart (the replicas' worker threads).
//   npm run read-folder -w @captcha-nn/benchmarks -- --model DIR --data DIR [--count 3000] [--batch 64]
//     [--threads N (default: the physical cores)] [--rounds 3] [--out FILE]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { physicalCores, ready, setWasmThreads } from '@captcha-nn/core';
import { expandImagePaths } from '@captcha-nn/data';
import { loadCaptchaModel, openDataParallel, predictFiles } from '@captcha-nn/train';
import { summary } from './stats.mjs';

const { values } = parseArgs({
  strict: true,
  options: {
    model: { type: 'string' },
    data: { type: 'string' },
    count: { type: 'string', default: '3000' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
    child: { type: 'string' },
  },
});
const int = (v, name, min) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`read-folder.mjs: --${name} must be an integer >= ${min}, got '${v}'`);
  return n;
};
if (!values.model || !values.data) throw new Error('read-folder.mjs: give --model DIR (a trained model) and --data DIR (images)');
const count = int(values.count, 'count', 1);
const batch = int(values.batch, 'batch', 1);
const threads = values.threads === undefined ? await physicalCores() : int(values.threads, 'threads', 2);
if (threads < 2) throw new Error('read-folder.mjs: one physical core here; pass --threads 2 or more to compare');

/** One reading in this process: { seconds, startSeconds, images, text } as JSON on stdout. */
async function child(how) {
  setWasmThreads(how === 'threads' ? threads : 1);
  const backend = await ready();
  const files = (await expandImagePaths([values.data])).slice(0, count);
  const m = await loadCaptchaModel(values.model, { foldBatchNorm: true });
  let t = performance.now();
  const dp = how === 'replicas' ? await openDataParallel(m.model, { requested: threads, used: threads }, { backend }) : null;
  const startSeconds = (performance.now() - t) / 1000;
  const forward = dp ? (x) => dp.forward(x, { dim: m.task.outputBatchDim ?? 0 }) : undefined;
  t = performance.now();
  const preds = await predictFiles(m, files, batch, undefined, undefined, forward);
  const seconds = (performance.now() - t) / 1000;
  await dp?.dispose();
  // The readings themselves, so that the two ways can be checked to agree.
  process.stdout.write(JSON.stringify({ seconds, startSeconds, images: files.length, text: preds.map((p) => p.text).join(',') }));
}

if (values.child) {
  await child(values.child);
} else {
  const rounds = int(values.rounds, 'rounds', 1);
  const self = fileURLToPath(import.meta.url);
  const args = ['--model', values.model, '--data', values.data, '--count', String(count), '--batch', String(batch), '--threads', String(threads)];
  const runs = { threads: [], replicas: [] };
  let text;
  for (let r = 0; r < rounds; r++) {
    for (const how of r % 2 ? ['replicas', 'threads'] : ['threads', 'replicas']) {
      const got = JSON.parse(execFileSync(process.execPath, [self, ...args, '--child', how], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
      if (text !== undefined && got.text !== text) throw new Error(`read-folder.mjs: ${how} read the images differently from the first reading`);
      text = got.text;
      runs[how].push(got);
      console.log(`round ${r + 1} ${how.padEnd(8)} ${got.seconds.toFixed(2)} s for ${got.images} images (start-up ${got.startSeconds.toFixed(2)} s)`);
    }
  }
  const s = Object.fromEntries(
    Object.entries(runs).map(([k, v]) => [k, { ...summary(v.map((x) => x.seconds)), start: summary(v.map((x) => x.startSeconds)) }]),
  );
  const ratio = s.threads.median / s.replicas.median;
  console.log(
    `median: ${threads} wasm threads ${s.threads.median.toFixed(2)} s, ${threads} replicas ${s.replicas.median.toFixed(2)} s ` +
      `(+ ${s.replicas.start.median.toFixed(2)} s to start them); replicas ${ratio.toFixed(2)}x as fast`,
  );
  if (values.out) {
    const out = resolve(dirname(fileURLToPath(import.meta.url)), '..', values.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ model: values.model, data: values.data, count, batch, threads, rounds, ...s, ratio }, null, 2)}\n`);
  }
}
