#!/usr/bin/env node
// Speed of captcha-nn against tfjs-layers and PyTorch, on this machine, in
// one run. See ../README.md. `npm run bench -- --help` lists the options.
//
// Arguments are parsed with node:util's parseArgs: it ships with Node (no
// dependency to add to this package), rejects unknown or malformed options
// (strict mode), and accepts both `--steps 5` and `--steps=5`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tf, setBackend, optim, fusedBackward, foldBatchNorm, manualSeed, DataParallelTable, allowRelaxedSimdInNode, describeWasmSimd } from '@captcha-nn/core';
import { buildModel, forwardMacs, makeBatch, VGG_SEED, COMPACT, RESNET, LSTM } from './models.mjs';
import { buildLayersModel, layersTrainStep, layersInfer, layersVersion } from './layers-models.mjs';
import { timeSteps, fmtMs, ratio } from './stats.mjs';
import { renderTables } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const PYTHON = '/usr/bin/python3';
const CPU_COUNT = os.availableParallelism?.() ?? os.cpus().length;
/** Above this many multiply-adds per training step (forward, batch), the cpu backend is skipped. */
const CPU_MAX_STEP_MACS = 1e9;

// ------------------------------------------------------------------ options

const USAGE = `npm run bench -- [options]

  --quick            tiny models, batch 4, 3 steps: checks the harness (< 2 min)
  --case LIST        cases to run, comma-separated: a (captcha convnets),
                     b (LSTM), c (residual stack)              [a,b,c]
  --backend LIST     tfjs backends, comma-separated: wasm,cpu  [wasm,cpu]
                     (cpu runs only the small cases; the rest print a note)
  --steps N          timed steps per measurement               [10; quick 3]
  --warmup N         untimed steps first                       [2; quick 1]
  --batch N          training batch size                       [32; quick 4]
  --budget S         seconds per measurement: stop early (n >= 2) past it,
                     and flag the figure; 0 = no limit        [150; quick 20]
  --model LIST       only these models, comma-separated: compact, vgg-seed,
                     lstm-T8, lstm-T32, resnet (quick: the -tiny ones)
  --no-torch         skip the PyTorch reference
  --no-layers        skip tfjs-layers
  --out FILE         JSON path [results/<YYYY-MM-DD>-<hostname>[-suffix].json]
  -h, --help         this text`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      case: { type: 'string', multiple: true },
      backend: { type: 'string', multiple: true },
      model: { type: 'string', multiple: true },
      steps: { type: 'string' },
      warmup: { type: 'string' },
      batch: { type: 'string' },
      budget: { type: 'string' },
      'no-torch': { type: 'boolean', default: false },
      'no-layers': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const list = (v, dflt, allowed, what) => {
    const items = (v ?? [dflt])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    for (const it of items) if (!allowed.includes(it)) throw new Error(`--${what}: unknown '${it}' (one of ${allowed.join(', ')})`);
    return [...new Set(items)];
  };
  const int = (v, dflt, name, min) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer >= ${min}, got '${v}'`);
    return n;
  };
  const quick = values.quick;
  return {
    help: values.help,
    quick,
    cases: list(values.case, 'a,b,c', ['a', 'b', 'c'], 'case'),
    backends: list(values.backend, 'wasm,cpu', ['wasm', 'cpu'], 'backend'),
    models: values.model ? list(values.model, '', MODEL_NAMES, 'model') : null,
    steps: int(values.steps, quick ? 3 : 10, 'steps', 1),
    warmup: int(values.warmup, quick ? 1 : 2, 'warmup', 1),
    batch: int(values.batch, quick ? 4 : 32, 'batch', 1),
    budget: int(values.budget, quick ? 20 : 150, 'budget', 0),
    torch: !values['no-torch'],
    layers: !values['no-layers'],
    out: values.out,
  };
}

// ------------------------------------------------------------------- cases

/** The benchmark rows: [{ id, case, spec, variant }], in run order. */
function benchCases(opts) {
  const rows = [];
  if (opts.cases.includes('a')) {
    const specs = opts.quick
      ? [
          { ...VGG_SEED, name: 'vgg-tiny', stages: [[4, 4], [8, 8], [8], [8], [8]], hidden: 16 },
          { ...COMPACT, name: 'compact-tiny', stages: [[4], [8], [8]], hidden: 16 },
        ]
      : [COMPACT, VGG_SEED];
    for (const spec of specs) rows.push({ id: `a:${spec.name}`, case: 'a', spec });
  }
  if (opts.cases.includes('b')) {
    const base = opts.quick ? { ...LSTM, inputSize: 16, hidden: 16 } : LSTM;
    for (const steps of opts.quick ? [4] : [8, 32])
      for (const variant of ['SeqLSTM', 'Sequencer(FastLSTM)'])
        rows.push({ id: `b:lstm-T${steps}:${variant}`, case: 'b', spec: { ...base, name: `lstm-T${steps}`, steps }, variant });
  }
  if (opts.cases.includes('c')) {
    const spec = opts.quick ? { ...RESNET, name: 'resnet-tiny', units: [4, 8] } : RESNET;
    rows.push({ id: `c:${spec.name}`, case: 'c', spec });
  }
  // The seed VGG is by far the slowest: run it last, so that everything else is in.
  return rows.filter((r) => !opts.models || opts.models.includes(r.spec.name)).sort((p, q) => (p.spec === VGG_SEED) - (q.spec === VGG_SEED));
}

const MODEL_NAMES = ['compact', 'vgg-seed', 'lstm-T8', 'lstm-T32', 'resnet', 'vgg-tiny', 'compact-tiny', 'lstm-T4', 'resnet-tiny'];

const SGD = { learningRate: 0.01, momentum: 0.9, dampening: 0 };

// ------------------------------------------------------------ measurements

/** Runs fn (sync or async), turning a thrown error into { error } so one failure does not end the run. */
async function attempt(fn) {
  try {
    return await fn();
  } catch (e) {
    return {
      error: String(e?.message ?? e)
        .split('\n')[0]
        .slice(0, 300),
    };
  }
}

/** Batch-1 forwards of a model in evaluate mode, each read back. */
async function timeInference(model, spec, opts) {
  const one = makeBatch(spec, 1);
  const r = await timeSteps(
    () => {
      const out = model.forward(one.x);
      (Array.isArray(out) ? out[0] : out).dataSync();
    },
    { ...opts, steps: Math.max(20, opts.steps), warmup: 3 },
  );
  tf.dispose([one.x, one.y]);
  return r;
}

/** Ours: the classic Torch loop and the fused step, then batch-1 inference. */
async function measureOurs(row, backend, opts) {
  const { spec, variant } = row;
  manualSeed(1);
  const { model, criterion } = buildModel(spec, variant);
  const [params, grads] = model.parameters();
  const { x, y } = makeBatch(spec, opts.batch);
  const run = { threads: 1 };
  for (const mode of ['classic', 'fused']) {
    const state = { ...SGD };
    const feval =
      mode === 'classic'
        ? () => {
            model.zeroGradParameters();
            const out = model.forward(x);
            const loss = criterion.forward(out, y);
            model.backward(x, criterion.backward(out, y));
            return [loss, grads];
          }
        : () => {
            model.zeroGradParameters();
            return [fusedBackward(model, criterion, x, y), grads];
          };
    run[mode] = await attempt(() => timeSteps(() => optim.sgd(feval, params, state, state), opts, numTensors));
    optim.disposeOptimState(state);
  }
  model.evaluate();
  run.infer = await attempt(() => timeInference(model, spec, opts));
  // As captcha-nn's readers run it (predict, eval, the web demo): BatchNormalization folded into the layers before it.
  run.inferFolded = await attempt(async () => {
    const folded = foldBatchNorm(model);
    try {
      return await timeInference(folded, spec, opts);
    } finally {
      folded.dispose();
    }
  });
  model.training();
  // After an out-of-heap abort the wasm module is broken and freeing throws: record, go on to the references.
  const freed = await attempt(() => {
    model.dispose?.();
    tf.dispose([x, y]);
  });
  if (freed?.error) run.dispose = freed;
  return run;
}

const numTensors = () => tf.memory().numTensors;

/**
 * Ours, data-parallel: the fused step's work split over `threads` replicas
 * by DataParallelTable (replica 0 on this thread, the rest in worker threads
 * on the same backend), gradients summed, then the same SGD update. The
 * table splits dimension 0, so the LSTM rows run batch-first here
 * (`buildModel(…, { batchFirst: true })`). One thread is the fused step.
 */
async function measureDataParallel(row, backend, opts, threads) {
  if (threads < 2) return { skipped: 'one core: data parallelism is the fused step' };
  if (opts.batch < threads) return { skipped: `batch ${opts.batch} < ${threads} workers` };
  const { spec, variant } = row;
  manualSeed(1);
  const { model, criterion, input } = buildModel(spec, variant, { batchFirst: true });
  const [params, grads] = model.parameters();
  const batch = makeBatch(spec, opts.batch, 'layers');
  const { x, y } = input ? input(batch) : batch;
  const dp = new DataParallelTable(model, { threads, backend });
  const state = { ...SGD };
  try {
    await dp.ready();
    const step = async () => {
      model.zeroGradParameters();
      const loss = await dp.backward(criterion, x, y);
      optim.sgd(() => [loss, grads], params, state, state);
    };
    return { threads, ...(await timeSteps(step, opts, numTensors)) };
  } finally {
    await dp.dispose();
    optim.disposeOptimState(state);
    model.dispose?.();
    tf.dispose([batch.x, batch.y, x, y].flat());
  }
}

async function measureLayers(row, backend, opts) {
  const { spec } = row;
  const { model, loss } = buildLayersModel(spec);
  const { x, y } = makeBatch(spec, opts.batch, 'layers');
  const optimizer = tf.train.momentum(SGD.learningRate, SGD.momentum);
  const run = { threads: 1 };
  run.train = await attempt(() => timeSteps(() => layersTrainStep(model, loss, optimizer, x, y), opts, numTensors));
  run.infer = await attempt(async () => {
    const one = makeBatch(spec, 1, 'layers');
    const r = await timeSteps(() => layersInfer(model, one.x), { ...opts, steps: Math.max(20, opts.steps), warmup: 3 });
    tf.dispose([one.x, one.y]);
    return r;
  });
  optimizer.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return run;
}

// Debian's PyTorch multiplies matrices (Linear, LSTM) with whatever libblas.so.3 points to: the slow reference
// BLAS unless OpenBLAS is installed (libopenblas0-openmp; see README.md). So the run records which one it loaded.
const TORCH_PROBE = `import json, torch
torch.ones(64, 64) @ torch.ones(64, 64)
try:
    blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if l.split()[-1].rsplit('/', 1)[-1].startswith('libblas')})
except OSError:
    blas = []
print(json.dumps({'version': torch.__version__, 'blas': blas}))`;

let torchInfo;
function torchAvailable() {
  if (torchInfo === undefined) {
    const r = spawnSync(PYTHON, ['-c', TORCH_PROBE], { encoding: 'utf8' });
    torchInfo = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').at(-1)) : { error: `${PYTHON} -c 'import torch' failed` };
  }
  return !torchInfo.error;
}

/** The PyTorch reference script of this spec, with `threads` threads. */
function measureTorch(spec, threads, opts) {
  const script = join(root, 'reference', `${spec.kind}.py`);
  const args = [
    script,
    '--spec',
    JSON.stringify(spec),
    '--batch',
    String(opts.batch),
    '--threads',
    String(threads),
    '--steps',
    String(opts.steps),
    '--warmup',
    String(opts.warmup),
    '--infer-steps',
    String(Math.max(20, opts.steps)),
    '--budget',
    String(opts.budget),
  ];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').at(-1) };
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return { threads: out.threads, torch: out.torch, train: out.train, infer: out.infer };
}

// ------------------------------------------------------------------ output

function machine() {
  const cpus = os.cpus();
  return {
    host: os.hostname(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: CPU_COUNT,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

function defaultOut(opts) {
  const date = new Date().toISOString().slice(0, 10);
  const suffix = [
    opts.quick ? 'quick' : '',
    opts.cases.length < 3 ? opts.cases.join('') : '',
    opts.models ? opts.models.join('-') : '',
    opts.batch !== (opts.quick ? 4 : 32) ? `b${opts.batch}` : '',
    opts.backends.length < 2 ? opts.backends.join('') : '',
  ].filter(Boolean);
  // Never overwrite an earlier run of the same day: number the repeats.
  const base = join(root, 'results', [date, os.hostname(), ...suffix].join('-'));
  let out = `${base}.json`;
  for (let i = 2; existsSync(out); i++) out = `${base}-${i}.json`;
  return out;
}

// -------------------------------------------------------------------- main

async function main() {
  // As the CLI does: our kernels' relaxed-SIMD build where this Node has it behind a flag (CAPTCHA_NN_WASM_SIMD=plain: not).
  allowRelaxedSimdInNode();
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const t0 = performance.now();
  const out = opts.out ?? defaultOut(opts);
  const hasTorch = opts.torch && torchAvailable();
  const doc = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machine(),
    versions: { node: process.version, tfjsCore: tf.version_core, tfjsLayers: layersVersion, torch: torchInfo?.version ?? null },
    options: { ...opts, out: undefined },
    notes: [
      'times in ms; each figure has median, min, max, n (timed steps after warm-up)',
      'wasm runs single-threaded in Node (threads: 1); the cpu backend is plain JS (threads: 1)',
      'optimiser everywhere: SGD lr 0.01, momentum 0.9, no dampening; batch reused every step',
    ],
    torch: hasTorch ? torchInfo : { skipped: opts.torch ? torchInfo?.error : '--no-torch' },
    wasmSimd: describeWasmSimd(),
    dataParallel: {
      workers: CPU_COUNT,
      note: 'DataParallelTable: replica 0 on the main thread, the others in worker threads, each with its own backend; compare with PyTorch on all threads',
    },
    results: [],
  };
  const save = () => {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
  };
  console.log(
    `captcha-nn benchmarks: ${doc.machine.cpuModel}, ${CPU_COUNT} cores, Node ${process.version}, ` +
      `tfjs ${tf.version_core} (our wasm kernels: ${doc.wasmSimd}), PyTorch ${hasTorch ? `${torchInfo.version} (BLAS: ${torchInfo.blas.join(', ') || 'none loaded'})` : `unavailable (${doc.torch.skipped})`}`,
  );
  if (!hasTorch) console.log(`note: PyTorch columns skipped: ${doc.torch.skipped}`);

  const cache = new Map();
  for (const row of benchCases(opts)) {
    const { spec } = row;
    const stepMacs = forwardMacs(spec) * opts.batch;
    const specKey = JSON.stringify(spec);
    for (const backend of opts.backends) {
      const label = `${row.id.slice(2)} [${backend}]`;
      const r = {
        id: row.id,
        case: row.case,
        spec,
        variant: row.variant ?? null,
        batch: opts.batch,
        backend,
        threads: 1,
        forwardMacsPerExample: forwardMacs(spec),
      };
      if (backend === 'cpu' && stepMacs > CPU_MAX_STEP_MACS) {
        const why = `skipped on cpu: ${(stepMacs / 1e9).toFixed(1)} GMAC per forward batch (cpu backend runs only cases under ${CPU_MAX_STEP_MACS / 1e9} GMAC)`;
        console.log(`${label}: ${why}`);
        (doc.skipped ??= []).push(`${label}: ${why}`);
        continue;
      }
      await setBackend(backend);
      process.stdout.write(`${label}: `);
      // Data-parallel first: its shards fit where one thread's whole batch may not (the seed VGG at
      // batch 32 needs more than wasm's 4 GiB heap), and an out-of-heap abort kills this thread's wasm.
      r.dataParallel = await attempt(() => measureDataParallel(row, backend, opts, CPU_COUNT));
      process.stdout.write(`data-parallel ${fmtMs(r.dataParallel)}; `);
      r.ours = await measureOurs(row, backend, opts);
      process.stdout.write(`ours classic ${fmtMs(r.ours.classic)}, fused ${fmtMs(r.ours.fused)}; `);
      // tfjs-layers and PyTorch do not depend on our variant: measure once per spec (and backend).
      if (opts.layers) {
        const key = `${backend}|${specKey}`;
        if (!cache.has(key)) {
          const m = await attempt(() => measureLayers(row, backend, opts));
          cache.set(key, m.error ? { train: m, infer: m } : m);
        }
        r.layers = cache.get(key);
        process.stdout.write(`tfjs-layers ${fmtMs(r.layers.train)}; `);
      }
      if (hasTorch) {
        for (const [field, threads] of [
          ['torch1', 1],
          ['torchAll', CPU_COUNT],
        ]) {
          const key = `torch${threads}|${specKey}`;
          if (!cache.has(key)) cache.set(key, measureTorch(spec, threads, opts));
          r[field] = cache.get(key);
        }
        process.stdout.write(`PyTorch 1T ${fmtMs(r.torch1.train)}, ${CPU_COUNT}T ${fmtMs(r.torchAll.train)}`);
      }
      process.stdout.write('\n');
      r.ratios = {
        classicOverFused: ratio(r.ours?.classic, r.ours?.fused),
        fusedOverTorch1: ratio(r.ours?.fused, r.torch1?.train),
        classicOverTorch1: ratio(r.ours?.classic, r.torch1?.train),
        fusedOverLayers: ratio(r.ours?.fused, r.layers?.train),
        classicOverLayers: ratio(r.ours?.classic, r.layers?.train),
        dataParallelOverTorchAll: ratio(r.dataParallel, r.torchAll?.train),
        dataParallelOverLayers: ratio(r.dataParallel, r.layers?.train),
        inferOverTorch1: ratio(r.ours?.infer, r.torch1?.infer),
        inferOverLayers: ratio(r.ours?.infer, r.layers?.infer),
      };
      doc.results.push(r);
      save(); // after every row: a long run keeps what it measured
    }
  }
  doc.wallSeconds = Math.round((performance.now() - t0) / 1000);
  save();
  console.log(`\n${renderTables(doc)}`);
  console.log(`\n${doc.results.length} rows in ${doc.wallSeconds} s; JSON: ${relative(process.cwd(), out) || out}`);
  if (doc.results.some((r) => r.ours?.classic?.error || r.ours?.fused?.error)) process.exitCode = 1;
}

export { parseOptions, benchCases };

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
