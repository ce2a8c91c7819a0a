#!/usr/bin/env node
// Winograd F(2×2,3×3) / F(4×4,3×3) (winograd.c, our wasm SIMD kernel) against
// XNNPACK's tf.conv2d on tfjs-backend-wasm, one thread, 3×3 stride 1 'same',
// NHWC float32. One interleaved run: every round times each variant once on
// the same tensors, so a loaded machine slows all of them alike; the ratio is
// the median of the per-round ratios.
//   node benchmarks/winograd/bench.mjs [rounds]
// Variants (each makes a tfjs output tensor from tfjs input tensors, filter
// transformed on every call, as in training where weights change each step):
//   xnn    tf.conv2d (XNNPACK)
//   w2c/w4c  copy path: x.dataSync() → our memory → kernel → tf.tensor(copy)
//   w2z/w4z  in place: the kernel on the wasm backend's own heap
import { tf, setBackend } from '@captcha-nn/core';
import { ownHeap, tfjsHeap } from './winograd.mjs';

const SHAPES = [
  ['vgg-seed b8', 8, 50, 200, 64, 64],
  ['vgg-seed b8', 8, 25, 100, 64, 128],
  ['vgg-seed b8', 8, 25, 100, 128, 128],
  ['vgg-seed b8', 8, 13, 50, 256, 256],
  ['vgg-seed b8', 8, 7, 25, 512, 512],
  ['vgg-seed b8', 8, 4, 13, 512, 512],
  ['compact b32', 32, 25, 100, 32, 64],
  ['compact b32', 32, 13, 50, 64, 128],
  ['resnet b32', 32, 28, 28, 16, 16],
  ['resnet b32', 32, 14, 14, 32, 32],
  ['resnet b32', 32, 7, 7, 64, 64],
];
const ROUNDS = Number(process.argv[2] ?? 11);
await setBackend('wasm');
const own = ownHeap();
const shared = tfjsHeap(tf);
const backend = tf.backend();
const ptr = (t) => backend.dataIdMap.get(t.dataId).memoryOffset;

function copyPath(m, x, f) {
  const [n, h, w, cin] = x.shape;
  const cout = f.shape[3];
  own.reset();
  const tb = own.tileBlock(m, n, h, w, cin);
  const xp = own.malloc(x.size * 4);
  const gp = own.malloc(f.size * 4);
  const up = own.malloc(own.filterFloats(m, cin, cout) * 4);
  const yp = own.malloc(n * h * w * cout * 4);
  const sp = own.malloc(own.scratchFloats(m, cin, cout, tb) * 4);
  own.f32().set(x.dataSync(), xp / 4);
  own.f32().set(f.dataSync(), gp / 4);
  own.filter(m, gp, cin, cout, up);
  own.conv(m, xp, n, h, w, cin, up, cout, yp, sp, tb);
  return tf.tensor(own.f32().subarray(yp / 4, yp / 4 + n * h * w * cout), [n, h, w, cout]);
}

function inPlace(m, x, f) {
  const [n, h, w, cin] = x.shape;
  const cout = f.shape[3];
  const tb = shared.tileBlock(m, n, h, w, cin);
  const out = backend.makeOutput([n, h, w, cout], 'float32');
  const up = shared.malloc(shared.filterFloats(m, cin, cout) * 4);
  const sp = shared.malloc(shared.scratchFloats(m, cin, cout, tb) * 4);
  shared.filter(m, ptr(f), cin, cout, up);
  shared.conv(m, ptr(x), n, h, w, cin, up, cout, backend.dataIdMap.get(out.dataId).memoryOffset, sp, tb);
  shared.free(up);
  shared.free(sp);
  return tf.engine().makeTensorFromTensorInfo(out);
}

const VARIANTS = {
  xnn: (x, f) => tf.conv2d(x, f, 1, 'same'),
  w2c: (x, f) => copyPath(2, x, f),
  w4c: (x, f) => copyPath(4, x, f),
  w2z: (x, f) => inPlace(2, x, f),
  w4z: (x, f) => inPlace(4, x, f),
};
const median = (a) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const [model, n, h, w, cin, cout] of SHAPES) {
  const x = tf.randomNormal([n, h, w, cin]);
  const f = tf.randomNormal([3, 3, cin, cout], 0, Math.sqrt(2 / (9 * cin)));
  const ref = VARIANTS.xnn(x, f);
  const refData = ref.dataSync();
  let scale = 0;
  for (const v of refData) scale = Math.max(scale, Math.abs(v));
  const err = {};
  for (const [name, run] of Object.entries(VARIANTS)) {
    if (name === 'xnn') continue;
    const y = run(x, f);
    const d = y.dataSync();
    let e = 0;
    for (let i = 0; i < d.length; i++) e = Math.max(e, Math.abs(d[i] - refData[i]));
    err[name] = e / scale;
    y.dispose();
  }
  ref.dispose();
  const times = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS + 2; r++) {
    for (const [name, run] of Object.entries(VARIANTS)) {
      const t = performance.now();
      const y = run(x, f);
      const ms = performance.now() - t;
      y.dispose();
      if (r >= 2) times[name].push(ms);
    }
  }
  tf.dispose([x, f]);
  const gflop = (2 * n * h * w * cin * cout * 9) / 1e9;
  const row = { model, shape: `${n},${h},${w},${cin}→${cout}` };
  for (const k of Object.keys(VARIANTS)) {
    row[`${k} ms`] = median(times[k]);
    row[`${k} GF/s`] = gflop / (row[`${k} ms`] / 1e3);
    if (k !== 'xnn') {
      row[`xnn/${k}`] = median(times.xnn.map((t, i) => t / times[k][i]));
      row[`${k} err`] = err[k];
    }
  }
  rows.push(row);
  console.error(JSON.stringify(row));
}

const fmt = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : v);
const cols = [
  'shape',
  'xnn ms',
  'xnn GF/s',
  'w2c ms',
  'w2c GF/s',
  'xnn/w2c',
  'w4c ms',
  'xnn/w4c',
  'w2z ms',
  'w2z GF/s',
  'xnn/w2z',
  'w4z ms',
  'w4z GF/s',
  'xnn/w4z',
];
console.log(`| model | ${cols.join(' | ')} | F(2) err | F(4) err |`);
console.log(`|${'---|'.repeat(cols.length + 3)}`);
for (const r of rows)
  console.log(
    `| ${r.model} | ${cols.map((c) => (c.startsWith('xnn/') ? `${fmt(r[c], 2)}×` : fmt(r[c]))).join(' | ')} | ${r['w2z err'].toExponential(1)} | ${r['w4z err'].toExponential(1)} |`,
  );
