#!/usr/bin/env node
// Winograd (packages/core/src/backends/wasm/winograd.ts, our wasm SIMD
// kernels) against XNNPACK's direct convolution on tfjs-backend-wasm, one
// thread, in one interleaved run: every round runs each variant once on the
// same tensors, so a loaded machine slows all of them alike; ratios are
// medians of the per-round ratios.
//   node benchmarks/winograd/bench.mjs [rounds] [conv|step|all]
// conv: tf.conv2d 3×3 stride 1 pad 1 and its filter gradient (the input
//   gradient is the forward kernel again) on the benchmark models' layer
//   shapes, setWinograd off (XNNPACK) / f2 / f4 / auto; effective GFLOP/s
//   counts direct-convolution FLOPs, 2·N·H·W·Cin·Cout·9. The filter is
//   transformed on every call, as in training. Errors: max |Winograd − XNNPACK|
//   over max |XNNPACK|, inputs after a ReLU, He-initialised filter.
// step: one fused training step (fusedBackward + SGD) of the benchmark
//   models, setWinograd off against auto.
import { tf, setBackend, setWinograd, optim, fusedBackward, manualSeed } from '@captcha-nn/core';
import { VGG_SEED, COMPACT, RESNET, buildModel } from '../src/models.mjs';

const ROUNDS = Number(process.argv[2] ?? 11);
const PART = process.argv[3] ?? 'all';
const CONV_SHAPES = [
  ['vgg-seed b8', 8, 50, 200, 64, 64],
  ['vgg-seed b8', 8, 25, 100, 64, 128],
  ['vgg-seed b8', 8, 25, 100, 128, 128],
  ['vgg-seed b8', 8, 13, 50, 256, 256],
  ['vgg-seed b8', 8, 7, 25, 512, 512],
  ['vgg-seed b8', 8, 4, 13, 512, 512],
  ['compact b32', 32, 25, 100, 32, 64],
  ['compact b32', 32, 13, 50, 64, 128],
  ['resnet-mnist b32', 32, 28, 28, 16, 16],
  ['resnet-mnist b32', 32, 14, 14, 32, 32],
  ['resnet-mnist b32', 32, 7, 7, 64, 64],
  ['resnet (bench) b32', 32, 28, 28, 64, 64],
  ['resnet (bench) b32', 32, 14, 14, 128, 128],
  ['resnet (bench) b32', 32, 7, 7, 256, 256],
];
const MODES = ['off', 'f2', 'f4', 'auto'];

const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratio = (base, other) => median(base.map((t, i) => t / other[i]));

/** Per-round interleaved timings of each variant's fn; fn runs once per mode per round after 2 untimed rounds. */
function interleave(modes, fn) {
  const times = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < ROUNDS + 2; r++)
    for (const m of modes) {
      setWinograd(m);
      const t = performance.now();
      fn();
      const ms = performance.now() - t;
      if (r >= 2) times[m].push(ms);
    }
  setWinograd('auto');
  return times;
}

await setBackend('wasm');
console.log(`# Winograd vs XNNPACK, tfjs-backend-wasm 1 thread, ${ROUNDS} interleaved rounds, ${new Date().toISOString().slice(0, 10)}`);

if (PART !== 'step') {
  console.log(
    '\n| model | N,H,W,Cin→Cout | op | XNNPACK ms | GFLOP/s | F(2×2) ms | GFLOP/s | XNN/F2 | F(4×4) ms | GFLOP/s | XNN/F4 | XNN/auto | F2 err | F4 err |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [model, n, h, w, cin, cout] of CONV_SHAPES) {
    const x = tf.randomNormal([n, h, w, cin]).relu();
    const f = tf.randomNormal([3, 3, cin, cout], 0, Math.sqrt(2 / (9 * cin)));
    const dy = tf.randomNormal([n, h, w, cout]);
    const pad = [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ];
    const ops = {
      forward: () => tf.conv2d(x, f, 1, pad),
      'filter grad': () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad, dataFormat: 'NHWC', filterShape: f.shape }),
    };
    for (const [op, run] of Object.entries(ops)) {
      const out = (m) => {
        setWinograd(m);
        const y = run();
        const d = y.dataSync();
        y.dispose();
        return d;
      };
      const ref = out('off');
      const scale = ref.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
      const err = (m) => out(m).reduce((e, v, i) => Math.max(e, Math.abs(v - ref[i])), 0) / scale;
      const [e2, e4] = [err('f2'), err('f4')];
      const t = interleave(MODES, () => run().dispose());
      const gflop = (2 * n * h * w * cin * cout * 9) / 1e9;
      const col = (m) => `${median(t[m]).toFixed(1)} | ${(gflop / (median(t[m]) / 1e3)).toFixed(1)}`;
      console.log(
        `| ${model} | ${n},${h},${w},${cin}→${cout} | ${op} | ${col('off')} | ${col('f2')} | ${ratio(t.off, t.f2).toFixed(2)}× | ${col('f4')} | ${ratio(t.off, t.f4).toFixed(2)}× | ${ratio(t.off, t.auto).toFixed(2)}× | ${e2.toExponential(1)} | ${e4.toExponential(1)} |`,
      );
    }
    tf.dispose([x, f, dy]);
  }
}

if (PART !== 'conv') {
  console.log('\n| model | batch | XNNPACK step ms | auto step ms | XNN/auto |');
  console.log('|---|---|---|---|---|');
  for (const [spec, batch] of [
    [COMPACT, 32],
    [RESNET, 32],
    [VGG_SEED, 8],
  ]) {
    manualSeed(1);
    const { model, criterion } = buildModel(spec);
    const [params, grads] = model.parameters();
    const x = tf.randomNormal([batch, spec.height, spec.width, spec.channels]);
    const y = spec.kind === 'resnet' ? tf.randomUniform([batch], 0, spec.classes, 'int32') : tf.randomUniform([batch, spec.chars], 0, spec.classes, 'int32');
    const state = { learningRate: 0.01, momentum: 0.9, dampening: 0 };
    const feval = () => {
      model.zeroGradParameters();
      return [fusedBackward(model, criterion, x, y), grads];
    };
    const t = interleave(['off', 'auto'], () => optim.sgd(feval, params, state, state));
    optim.disposeOptimState(state);
    tf.dispose([x, y]);
    model.dispose();
    console.log(`| ${spec.name} | ${batch} | ${median(t.off).toFixed(0)} | ${median(t.auto).toFixed(0)} | ${ratio(t.off, t.auto).toFixed(2)}× |`);
  }
}
