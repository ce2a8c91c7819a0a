#!/usr/bin/env node
// CTC prefix beam search, width 10, on a batch shaped like a captcha reader's output (the general reader:
// 40 steps, 62 characters and the blank): each step puts 0.99 on one class and spreads 0.01 over the others.
// Medians of interleaved rounds of the exact search (minProb 0), the default (minProb 0.001), and the
// default with a known length of 5.
//   node benchmarks/src/ctc-beam.mjs [--rounds 5]
import { ctcBeamSearch, setBackend, tf } from '@captcha-nn/core';
import { summary, table } from './stats.mjs';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const [T, N, C] = [40, 64, 63];
await setBackend('wasm');
const x = tf.tidy(() => {
  const rest = tf.softmax(tf.randomNormal([T, N, C], 0, 1, 'float32', 1), -1).mul(0.01);
  const top = tf
    .oneHot(tf.randomUniform([T, N], 0, C, 'int32', 2), C)
    .cast('float32')
    .mul(0.99);
  return tf.log(rest.add(top));
});
const cases = [
  ['exact (minProb 0)', { minProb: 0 }],
  ['default (minProb 0.001)', {}],
  ['default, length 5', { length: { min: 5, max: 5 } }],
];
const times = cases.map(() => []);
for (let r = 0; r < rounds; r++)
  cases.forEach(([, o], i) => {
    const t = performance.now();
    ctcBeamSearch(x, { beamWidth: 10, blank: C - 1, ...o });
    times[i].push((performance.now() - t) / N);
  });
x.dispose();
const base = summary(times[0]).median;
console.log(`ctcBeamSearch, width 10, [T, N, C] = [${T}, ${N}, ${C}], ${rounds} interleaved rounds (ms per sample)`);
console.log(
  table(
    ['search', 'median', 'min', 'max', 'exact / this'],
    cases.map(([name], i) => {
      const s = summary(times[i]);
      return [name, s.median.toFixed(2), s.min.toFixed(2), s.max.toFixed(2), (base / s.median).toFixed(1)];
    }),
  ),
);
