/**
 * CTC's share of a training step: the `ctc` model (compact), batch 32,
 * variable-preset captchas (200×50, 4–8 characters), one worker, timed phase
 * by phase as the trainer's single-process step runs them (epoch.ts):
 * model forward, criterion forward, criterion backward, model backward,
 * optimizer step, and the greedy decode it does for the training accuracy.
 * Medians of 20 steps after 3 warm-up steps, in one process.
 *
 *   npm run build && node examples/seq2seq-captcha/bench/ctc-share.mjs [--backend wasm] [--batch 32] [--steps 20]
 */
import { Optimizer, manualSeed, setBackend, tf } from '@captcha-nn/core';
import { batches, generatorSource } from '@captcha-nn/data';
import { makeGenerator } from '@captcha-nn/train';
import { buildCtcCaptcha } from '../dist/index.js';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const backend = await setBackend(arg('backend', 'wasm'));
const N = Number(arg('batch', 32));
const steps = Number(arg('steps', 20));
const warmup = 3;

manualSeed(1);
const gen = makeGenerator({ generator: 'simple', preset: 'variable', length: [4, 8] }, 'bench');
const { model, task } = buildCtcCaptcha({
  variant: 'compact',
  numClasses: gen.charset.length + 1,
  length: gen.maxLength,
  height: gen.height,
  width: gen.width,
  channels: 1,
});
const optimizer = new Optimizer(model, 'adam', { learningRate: 0.001 });
const phases = ['model forward', 'criterion forward', 'criterion backward', 'model backward', 'optimizer step', 'greedy decode'];
const times = Object.fromEntries([...phases, 'whole step'].map((p) => [p, []]));
let i = 0;
for await (const b of batches(generatorSource(gen, { count: (warmup + steps) * N, format: 'gray' }), { batchSize: N, shuffle: false, normalize: 'unit' })) {
  const target = task.target(b.y);
  const t = [performance.now()];
  model.training();
  model.zeroGradParameters();
  const out = model.forward(b.x);
  t.push(performance.now());
  const loss = task.criterion.forward(out, target);
  t.push(performance.now());
  const gradOut = task.criterion.backward(out, target);
  t.push(performance.now());
  model.backward(b.x, gradOut);
  t.push(performance.now());
  optimizer.step(loss);
  t.push(performance.now());
  task.decode(out);
  t.push(performance.now());
  if (i++ >= warmup) {
    phases.forEach((p, k) => times[p].push(t[k + 1] - t[k]));
    times['whole step'].push(t[t.length - 1] - t[0]);
    // One line per step, so a run cut short still says something.
    process.stderr.write(`step ${i - warmup}: whole ${(t[t.length - 1] - t[0]).toFixed(0)} ms, CTC ${(t[3] - t[1]).toFixed(0)} ms\n`);
  }
  b.dispose();
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const whole = median(times['whole step']);
console.log(
  `ctc compact, batch ${N}, ${gen.width}x${gen.height}, T = ${task.spec.steps}, ${gen.charset.length + 1} classes; backend ${backend}; medians of ${steps} steps (ms)`,
);
for (const p of [...phases, 'whole step'])
  console.log(`${p.padEnd(20)} ${median(times[p]).toFixed(1).padStart(8)}  ${((100 * median(times[p])) / whole).toFixed(1).padStart(5)}%`);
const ctc = times['criterion forward'].map((v, k) => v + times['criterion backward'][k]);
const share = times['whole step'].map((w, k) => ctc[k] / w);
console.log(
  `CTC forward+backward: median ${median(ctc).toFixed(1)} ms, median share of the step ${(100 * median(share)).toFixed(1)}%; tensors ${tf.memory().numTensors}`,
);
