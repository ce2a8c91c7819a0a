#!/usr/bin/env node
// The ceiling under the convnet ratios: GFLOP/s of one 3×3 pad-1 convolution
// forward on the wasm backend, one thread (XNNPACK's direct convolution, and
// the Winograd path core takes by default; effective GFLOP/s, counting
// direct-convolution FLOPs) against PyTorch on one thread, on the seed VGG's
// layer shapes at batch 8. A training step is mostly such convolutions
// (forward, input gradient, filter gradient), so ours/PyTorch for a whole
// step cannot fall much below the ratio printed here.
//   node benchmarks/src/conv-peak.mjs            (PyTorch columns when /usr/bin/python3 has torch)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf, setBackend, setWinograd } from '@captcha-nn/core';
import { summary, table } from './stats.mjs';

const SHAPES = [
  [8, 50, 200, 64, 64],
  [8, 25, 100, 128, 128],
  [8, 13, 50, 256, 256],
  [8, 7, 25, 512, 512],
];
await setBackend('wasm');
const time = (mode) =>
  SHAPES.map(([n, h, w, c, o]) => {
    const x = tf.randomNormal([n, h, w, c]);
    const f = tf.randomNormal([3, 3, c, o]);
    const times = [];
    setWinograd(mode);
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const y = tf.conv2d(x, f, 1, 'same');
      y.dataSync();
      if (i >= 2) times.push(performance.now() - t);
      y.dispose();
    }
    tf.dispose([x, f]);
    const ms = summary(times).median;
    return { ms, gflops: (2 * n * h * w * c * o * 9) / ms / 1e6 };
  });
const xnn = time('off');
const ours = time('auto');
const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'reference', 'conv_peak.py');
const r = spawnSync('/usr/bin/python3', [script, ...SHAPES.map((s) => s.join(','))], { encoding: 'utf8' });
const torch = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)).shapes : null;
if (!torch) console.log(`note: PyTorch columns skipped (${(r.stderr || r.error?.message || 'failed').trim().split('\n').at(-1)})`);
console.log(
  table(
    ['N,H,W,C→O', 'XNNPACK ms', 'XNNPACK GFLOP/s', 'ours ms', 'ours GFLOP/s', 'PyTorch 1T ms', 'PyTorch GFLOP/s', 'ours/PyTorch'],
    SHAPES.map((s, i) => [
      s.join(','),
      xnn[i].ms.toFixed(1),
      xnn[i].gflops.toFixed(1),
      ours[i].ms.toFixed(1),
      ours[i].gflops.toFixed(1),
      torch?.[i].median_ms.toFixed(1) ?? '',
      torch?.[i].gflops.toFixed(1) ?? '',
      torch ? `${(ours[i].ms / torch[i].median_ms).toFixed(2)}×` : '',
    ]),
  ),
);
