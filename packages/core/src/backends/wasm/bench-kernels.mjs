#!/usr/bin/env node
/**
 * Median milliseconds of the stock tfjs wasm kernels vs ours, side by side in
 * one process, alternating runs. Not a test.
 *
 *   node packages/core/src/backends/wasm/bench-kernels.mjs [runs=11]
 *
 * Our TypeScript kernels are bundled on the fly with esbuild (a tsup
 * dependency); @tensorflow packages stay external, so they are the same
 * copies tfjs-backend-wasm uses. Where the stock wasm backend has no kernel
 * (it throws), the baseline is the cpu backend's kernel, 3 runs, except for
 * the conv filter gradient, where cpu takes minutes: there the reference is
 * the forward XNNPACK conv at the same shape (the same multiply-adds).
 */
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const runs = Number(process.argv[2] ?? 11);

const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-wasm');
require('@tensorflow/tfjs-backend-cpu');

const { outputFiles } = await build({
  stdin: {
    contents: "export * from './registerWasmKernels'; export * from './kernel_utils';",
    resolveDir: here,
    loader: 'ts',
  },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  write: false,
  external: ['@tensorflow/*'],
  logLevel: 'error',
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', outputFiles[0].text)(mod, mod.exports, require);
const ours = mod.exports;

await tf.setBackend('wasm');
const wasm = tf.backend();
const cpuBackend = tf.findBackend('cpu');
const byName = new Map([...ours.addedWasmKernels, ...ours.replacedWasmKernels].map((c) => [c.kernelName, c]));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}
function info(t) {
  return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
}
function timeKernel(kernelFunc, backend, inputs, attrs) {
  const t0 = performance.now();
  const out = kernelFunc({ inputs, attrs, backend });
  const ms = performance.now() - t0;
  for (const o of Array.isArray(out) ? out : [out]) backend.disposeData(o.dataId);
  return ms;
}

const rows = [];
function bench(label, name, inputs, attrs, reference) {
  const stock = tf.getKernel(name, 'wasm');
  const mine = byName.get(name);
  const wasmInputs = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, info(v)]));
  if (mine.setupFunc) mine.setupFunc(wasm);
  // Warm-up (XNNPACK operator creation, JIT).
  timeKernel(mine.kernelFunc, wasm, wasmInputs, attrs);
  const a = [];
  const b = [];
  let stockLabel = 'stock wasm';
  if (stock) {
    timeKernel(stock.kernelFunc, wasm, wasmInputs, attrs);
    for (let i = 0; i < runs; i++) {
      a.push(timeKernel(stock.kernelFunc, wasm, wasmInputs, attrs));
      b.push(timeKernel(mine.kernelFunc, wasm, wasmInputs, attrs));
    }
  } else if (reference) {
    stockLabel = `none; ref: ${reference.label}`;
    const refInputs = Object.fromEntries(Object.entries(reference.inputs).map(([k, v]) => [k, info(v)]));
    const k = tf.getKernel(reference.name, 'wasm');
    timeKernel(k.kernelFunc, wasm, refInputs, reference.attrs);
    for (let i = 0; i < runs; i++) {
      a.push(timeKernel(k.kernelFunc, wasm, refInputs, reference.attrs));
      b.push(timeKernel(mine.kernelFunc, wasm, wasmInputs, attrs));
    }
  } else {
    stockLabel = 'none; cpu kernel';
    const cpuK = tf.getKernel(name, 'cpu');
    const cpuInputs = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { ...info(v), dataId: cpuBackend.write(v.dataSync(), v.shape, v.dtype) }]));
    for (let i = 0; i < 3; i++) a.push(timeKernel(cpuK.kernelFunc, cpuBackend, cpuInputs, attrs));
    for (let i = 0; i < runs; i++) b.push(timeKernel(mine.kernelFunc, wasm, wasmInputs, attrs));
    for (const v of Object.values(cpuInputs)) cpuBackend.disposeData(v.dataId);
  }
  const [sa, sb] = [median(a), median(b)];
  rows.push({ kernel: label, baseline: stockLabel, 'baseline ms': +sa.toFixed(1), 'ours ms': +sb.toFixed(1), speedup: `${(sa / sb).toFixed(1)}x` });
}

const r = (shape, dtype) => (dtype === 'int32' ? tf.randomUniform(shape, 0, 9999, 'int32') : tf.randomNormal(shape));

// Convs from a captcha net: 32 images, 50x100 -> 25x50, 32 -> 64 channels, 3x3 filters.
const f = r([3, 3, 32, 64]);
const x1 = r([32, 25, 50, 32]);
const dy = r([32, 25, 50, 64]);
const x2 = r([32, 50, 100, 32]);
bench('Conv2DBackpropInput s1 same', 'Conv2DBackpropInput', { dy, filter: f }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: x1.shape });
bench('Conv2DBackpropInput s2 same', 'Conv2DBackpropInput', { dy, filter: f }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: x2.shape });
const fwd = (x, s) => ({
  label: 'wasm Conv2D forward',
  name: 'Conv2D',
  inputs: { x, filter: f },
  attrs: { strides: s, pad: 'same', dataFormat: 'NHWC', dilations: 1 },
});
bench('Conv2DBackpropFilter s1 same', 'Conv2DBackpropFilter', { x: x1, dy }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: f.shape }, fwd(x1, 1));
bench('Conv2DBackpropFilter s2 same', 'Conv2DBackpropFilter', { x: x2, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: f.shape }, fwd(x2, 2));

// 2x2 max/avg pool of a 32x50x100x32 activation.
const pooled = tf.maxPool(x2, 2, 2, 'valid');
const dyPool = r(pooled.shape);
bench('MaxPoolGrad 2x2 s2', 'MaxPoolGrad', { dy: dyPool, input: x2, output: pooled }, { filterSize: 2, strides: 2, pad: 'valid' });
bench('AvgPoolGrad 2x2 s2', 'AvgPoolGrad', { dy: dyPool, input: x2 }, { filterSize: 2, strides: 2, pad: 'valid' });

// Linear 2048 -> 512 at batch 32: forward (transposeB) and weight gradient (transposeA).
const a = r([1, 32, 2048]);
const w = r([1, 512, 2048]);
const dyl = r([1, 32, 512]);
bench('BatchMatMul transposeB [32,2048]x[512,2048]T', 'BatchMatMul', { a, b: w }, { transposeA: false, transposeB: true });
bench('BatchMatMul transposeA [32,512]Tx[32,2048]', 'BatchMatMul', { a: dyl, b: a }, { transposeA: true, transposeB: false });

// LookupTable gradient: 1024 lookups into a 500x64 table (cpu's kernel loops over segments).
bench(
  'UnsortedSegmentSum 1024 -> 500x64',
  'UnsortedSegmentSum',
  { x: r([1024, 64]), segmentIds: tf.randomUniform([1024], 0, 499, 'int32') },
  { numSegments: 500 },
);
// Depthwise 3x3 over 8x25x50x32.
const xd = r([8, 25, 50, 32]);
const fd = r([3, 3, 32, 1]);
const dyd = r([8, 25, 50, 32]);
bench('DepthwiseBackpropInput', 'DepthwiseConv2dNativeBackpropInput', { dy: dyd, filter: fd }, { strides: 1, dilations: 1, pad: 'same', inputShape: xd.shape });
bench('DepthwiseBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', { x: xd, dy: dyd }, { strides: 1, dilations: 1, pad: 'same', filterShape: fd.shape });

console.log(
  `median of ${runs} runs, alternating (cpu baselines: 3 runs); node ${process.version}, wasm threads: ${require('@tensorflow/tfjs-backend-wasm').getThreadsCount?.() ?? '?'}`,
);
console.table(rows);
