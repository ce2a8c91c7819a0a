import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Tensor } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specOf } from '../src/util/moduleSpec';
import { ClassNLLCriterion } from '../src/nn/ClassNLLCriterion';
import type { Criterion } from '../src/nn/Criterion';
import { CrossEntropyCriterion } from '../src/nn/CrossEntropyCriterion';
import { Dropout } from '../src/nn/Dropout';
import { Linear } from '../src/nn/Linear';
import { LogSoftMax } from '../src/nn/LogSoftMax';
import { Module } from '../src/nn/Module';
import { ReLU } from '../src/nn/ReLU';
import { Sequential } from '../src/nn/Sequential';
import { SpatialBatchNormalization } from '../src/nn/SpatialBatchNormalization';
import { SpatialConvolution } from '../src/nn/SpatialConvolution';
import { SpatialMaxPooling } from '../src/nn/SpatialMaxPooling';
import { SplitTable } from '../src/nn/SplitTable';
import { maxAbsDiff } from '../src/nn/testing';
import { View } from '../src/nn/View';
import { type OptimState, disposeOptimState, sgd } from '../src/optim';
import { coresFromCpuinfo, freeCores, idleCpus, physicalCores } from '../src/parallel/cores';
import { DataParallelTable, ParallelWorkerError } from '../src/parallel/DataParallelTable';
import { transferList, type WireTensor } from '../src/parallel/protocol';
import { copyWire, replicaState, stateWires, toWire } from '../src/parallel/replica';
import { shardSizes } from '../src/parallel/shard';
import { Sequencer } from '../src/rnn/Sequencer';
import { SequencerCriterion } from '../src/rnn/SequencerCriterion';
import { tf } from '../src/tf';
import { fusedBackward } from '../src/train/fusedStep';
import type { Activity } from '../src/util/activity';
import { manualSeed } from '../src/util/random';

// The workers need the library as JavaScript. Tests run the source, so
// beforeAll builds it (tsup, no types, ~2 s) into node_modules/.cache with
// the worker entry beside it, exactly as in dist/, plus an entry that also
// exports DataParallelTable for the child-process (ESM, CommonJS) tests.
const pkg = fileURLToPath(new URL('..', import.meta.url));
const nodeModules = createRequire(import.meta.url)
  .resolve('@tensorflow/tfjs-core')
  .replace(/(node_modules)[/\\].*$/, '$1');
const lib = join(nodeModules, '.cache', `captcha-nn-parallel-test-${process.pid}`);
const entryDir = `${lib}-src`;
const workerScript = pathToFileURL(join(lib, 'parallel', 'worker.js'));

function buildLib(): void {
  mkdirSync(entryDir, { recursive: true });
  const entry = join(entryDir, 'entry.ts');
  writeFileSync(
    entry,
    `export * from ${JSON.stringify(join(pkg, 'src/index.ts'))};\n` +
      `export { DataParallelTable, ParallelWorkerError } from ${JSON.stringify(join(pkg, 'src/parallel/DataParallelTable.ts'))};\n`,
  );
  const script = `
    import { build } from 'tsup';
    await build({
      config: false, silent: true, dts: false, sourcemap: false, clean: true, target: 'es2022',
      format: ['esm', 'cjs'], outDir: ${JSON.stringify(lib)},
      entry: { index: ${JSON.stringify(entry)}, 'parallel/worker': 'src/parallel/worker.ts' },
      noExternal: [/^@tensorflow\\/tfjs-core\\/dist\\/(register_all_gradients|public\\/chained_ops)/],
      esbuildOptions(o) { o.logOverride = { 'empty-import-meta': 'silent' }; },
    });`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: pkg, stdio: 'inherit' });
  // node_modules/.cache has no package.json of its own: say the .js files are ESM.
  writeFileSync(join(lib, 'package.json'), '{ "type": "module" }\n');
}

beforeAll(() => buildLib(), 120_000);
afterAll(() => {
  rmSync(lib, { recursive: true, force: true });
  rmSync(entryDir, { recursive: true, force: true });
});

const convNet = () =>
  new Sequential(
    new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2),
    new View(-1, 4 * 4 * 4),
    new Linear(4 * 4 * 4, 5),
  );

/** The conv net with batch norm after its convolution (running statistics to keep in sync). */
const bnNet = () =>
  new Sequential(
    new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1),
    new SpatialBatchNormalization(4),
    new ReLU(),
    new View(-1, 8 * 8 * 4),
    new Linear(8 * 8 * 4, 5),
  );

function batch(n: number, seed: number): { x: Tensor; y: Tensor } {
  return {
    x: tf.randomNormal([n, 8, 8, 1], 0, 1, 'float32', seed),
    y: tf.randomUniform([n], 0, 5, 'int32', seed + 1),
  };
}

/** Two characters per sample: Linear → View → SplitTable → Sequencer(LogSoftMax), trained with SequencerCriterion(ClassNLL). */
const tableNet = () => new Sequential(new View(-1, 64), new Linear(64, 2 * 5), new View(-1, 2, 5), new SplitTable(1), new Sequencer(new LogSoftMax()));

function tableBatch(n: number, seed: number): { x: Tensor; y: Activity } {
  return {
    x: tf.randomNormal([n, 8, 8, 1], 0, 1, 'float32', seed),
    y: [tf.randomUniform([n], 0, 5, 'int32', seed + 1), tf.randomUniform([n], 0, 5, 'int32', seed + 2)],
  };
}

interface Setup {
  net: () => Module;
  criterion: Criterion;
  batch: (n: number, seed: number) => { x: Tensor; y: Activity };
}

const convSetup = (): Setup => ({ net: convNet, criterion: new CrossEntropyCriterion(), batch });

/** `steps` steps of sgd with momentum on one thread (fused, whole batch) and with a DataParallelTable; the max weight difference after each. */
async function compare(threads: number, batchSize: number, steps = 3, setup: Setup = convSetup()): Promise<{ diffs: number[]; losses: [number, number][] }> {
  manualSeed(7);
  const single = setup.net();
  const model = single.clone();
  const crit = setup.criterion;
  const dp = new DataParallelTable(model, { threads, workerScript });
  const config = { learningRate: 0.1, momentum: 0.9 };
  const s1: OptimState = {};
  const s2: OptimState = {};
  const diffs: number[] = [];
  const losses: [number, number][] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const { x, y } = setup.batch(batchSize, 100 + step);
      single.zeroGradParameters();
      const l1 = fusedBackward(single, crit, x, y);
      sgd(() => [l1, single.parameters()[1]], single.parameters()[0], config, s1);
      model.zeroGradParameters();
      const l2 = await dp.backward(crit, x, y);
      sgd(() => [l2, model.parameters()[1]], model.parameters()[0], config, s2);
      diffs.push(maxAbsDiff(single.parameters()[0], model.parameters()[0]));
      losses.push([l1, l2]);
      tf.dispose([x, y as Tensor | Tensor[]]);
    }
  } finally {
    await dp.dispose();
    disposeOptimState(s1);
    disposeOptimState(s2);
    single.dispose();
    model.dispose();
  }
  return { diffs, losses };
}

describe('DataParallelTable', () => {
  it('splits batches into near-equal shards, larger first', () => {
    expect(shardSizes(32, 2)).toEqual([16, 16]);
    expect(shardSizes(7, 2)).toEqual([4, 3]);
    expect(shardSizes(7, 3)).toEqual([3, 2, 2]);
    // No shard of one sample (training-mode batch norm refuses it): small batches use fewer replicas.
    expect(shardSizes(2, 4)).toEqual([2]);
    expect(shardSizes(3, 2)).toEqual([3]);
    expect(shardSizes(5, 2)).toEqual([3, 2]);
    expect(shardSizes(5, 4)).toEqual([3, 2]);
    expect(shardSizes(1, 2)).toEqual([1]);
  });

  it('transfers each wire tensor once, from a buffer of its own (the backend keeps its copy)', async () => {
    const a = new Float32Array([1, 2]);
    const w = (data: WireTensor['data']): WireTensor => ({ tensor: true, shape: [data.length], dtype: 'float32', data });
    const nested = new Float32Array(3);
    const msg = { kind: 'step', params: [w(a), w(a.subarray(1))], input: [[w(nested)], 7], train: [true], loss: 0.5 };
    expect(transferList(msg)).toEqual([a.buffer, nested.buffer]);
    expect(transferList({ kind: 'sync', params: [], train: [false] })).toEqual([]);

    // The cpu backend's data() is its own storage: toWire must copy, or the transfer would detach the tensor.
    // wasm's is a new array each time, sent as it is. A tensor made on cpu is still read from cpu's storage
    // after a switch to wasm, so what counts is the backend that holds it, not the active one.
    const before = tf.getBackend();
    const sendAndCheck = async (t: Tensor) => {
      const wire = await toWire(tf, t);
      const [second] = copyWire([wire]);
      structuredClone(wire, { transfer: transferList(wire) });
      expect(wire.data.length).toBe(0); // detached: it was transferred, not cloned
      expect(Array.from(t.dataSync())).toEqual([1, 2, 3]);
      expect(Array.from(second.data)).toEqual([1, 2, 3]);
      t.dispose();
    };
    try {
      await tf.setBackend('cpu');
      await sendAndCheck(tf.tensor([1, 2, 3]));
      const madeOnCpu = tf.tensor([1, 2, 3]);
      await tf.setBackend('wasm');
      await sendAndCheck(madeOnCpu);
      await sendAndCheck(tf.tensor([1, 2, 3]));
    } finally {
      await tf.setBackend(before);
    }
  });

  it('reads a wasm tensor into an array that came back from a worker, and into nothing that does not fit it', async () => {
    const t = tf.tensor([1.5, -2, 3]);
    const spare = new Float32Array([9, 9, 9]);
    const wire = await toWire(tf, t, spare);
    expect(wire.data).toBe(spare);
    expect(Array.from(spare)).toEqual([1.5, -2, 3]);
    expect(wire.shape).toEqual([3]);
    // Each of these would send the wrong bytes or a buffer the message does not own: a new array instead.
    const big = new Float32Array(8);
    const misfits: WireTensor['data'][] = [new Float32Array(2), big.subarray(0, 3), new Int32Array(3)];
    for (const m of misfits) {
      const w = await toWire(tf, t, m);
      expect(w.data).not.toBe(m);
      expect(Array.from(w.data)).toEqual([1.5, -2, 3]);
    }
    expect(Array.from(big)).toEqual(new Array(8).fill(0));
    const ints = tf.tensor([4, 5, 6], [3], 'int32');
    const intWire = await toWire(tf, ints, new Float32Array(3));
    expect(intWire.data).toBeInstanceOf(Int32Array);
    expect(Array.from(intWire.data)).toEqual([4, 5, 6]);
    // A tensor on cpu shares its storage with what tf.tensor was given: never read into a spare.
    const before = tf.getBackend();
    try {
      await tf.setBackend('cpu');
      const c = tf.tensor([7, 8, 9]);
      const other = new Float32Array(3);
      const w = await toWire(tf, c, other);
      expect(w.data).not.toBe(other);
      expect(Array.from(other)).toEqual([0, 0, 0]);
      c.dispose();
    } finally {
      await tf.setBackend(before);
    }
    tf.dispose([t, ints]);
  });

  it("stateWires reads each worker's parameters into its spare arrays, and copies for a worker without them", async () => {
    manualSeed(3);
    const model = convNet();
    const st = replicaState(model);
    const spare = st.params.map((p) => ({ tensor: true as const, shape: p.shape.slice(), dtype: 'float32' as const, data: new Float32Array(p.size) }));
    const [first, second] = await stateWires(tf, st, 2, [spare]);
    first!.params.forEach((w, i) => {
      expect(w.data).toBe(spare[i]!.data);
      expect(Array.from(w.data)).toEqual(Array.from(st.params[i]!.dataSync()));
    });
    second!.params.forEach((w, i) => {
      expect(w.data).not.toBe(spare[i]!.data);
      expect(Array.from(w.data)).toEqual(Array.from(st.params[i]!.dataSync()));
    });
    const [, withSpare] = await stateWires(tf, st, 2, [undefined, spare]);
    withSpare!.params.forEach((w, i) => expect(w.data).toBe(spare[i]!.data));
    model.dispose();
  });

  it('counts physical cores from /proc/cpuinfo (hyper-threads once)', async () => {
    const cpu = (socket: number, core: number) => `processor\t: 0\nphysical id\t: ${socket}\ncore id\t\t: ${core}\n`;
    expect(coresFromCpuinfo([cpu(0, 0), cpu(0, 1), cpu(0, 0), cpu(0, 1)].join('\n'))).toBe(2);
    expect(coresFromCpuinfo([cpu(0, 0), cpu(1, 0)].join('\n'))).toBe(2);
    expect(coresFromCpuinfo('processor\t: 0\nBogoMIPS\t: 50\n')).toBe(0);
    expect(await physicalCores()).toBeGreaterThanOrEqual(1);
  });

  it('counts the CPUs other processes leave mostly idle; freeCores is between 1 and the physical cores', async () => {
    const t = (idle: number, total: number) => ({ idle, total });
    // CPU 0 idle 90% of the interval, CPU 1 busy (10% idle), CPU 2 exactly half idle.
    expect(idleCpus([t(0, 0), t(0, 0), t(0, 0)], [t(90, 100), t(10, 100), t(50, 100)])).toBe(2);
    expect(idleCpus([t(5, 5), t(5, 5)], [t(5, 5), t(5, 5)])).toBe(0); // no time passed: not counted idle
    const { free, physical } = await freeCores(50);
    expect(physical).toBe(await physicalCores());
    expect(free).toBeGreaterThanOrEqual(1);
    expect(free).toBeLessThanOrEqual(physical);
  });

  it('N = 2: three sgd+momentum steps equal one thread on the whole batch (conv net, CrossEntropy)', async () => {
    const { diffs, losses } = await compare(2, 8);
    for (const d of diffs) expect(d).toBeLessThan(1e-5);
    for (const [a, b] of losses) expect(b).toBeCloseTo(a, 5);
  });

  it('N = 2 with SequencerCriterion(ClassNLL): the loss is the batch mean, not the sum of the shards (its sizeAverage is over steps)', async () => {
    const { diffs, losses } = await compare(2, 8, 3, { net: tableNet, criterion: new SequencerCriterion(new ClassNLLCriterion()), batch: tableBatch });
    for (const d of diffs) expect(d).toBeLessThan(1e-5);
    for (const [a, b] of losses) expect(b).toBeCloseTo(a, 5);
  });

  it('uneven splits: batch 7 over 2 and over 3 replicas', async () => {
    for (const threads of [2, 3]) {
      const { diffs, losses } = await compare(threads, 7);
      for (const d of diffs) expect(d).toBeLessThan(1e-5);
      for (const [a, b] of losses) expect(b).toBeCloseTo(a, 5);
    }
  });

  it('a batch-norm net steps through a last partial batch of 3 over 2 replicas, whole on the main thread', async () => {
    const bnSetup: Setup = {
      net: bnNet,
      criterion: new CrossEntropyCriterion(),
      batch,
    };
    const { diffs } = await compare(2, 3, 1, bnSetup);
    expect(diffs).toEqual([0]);
  });

  it('N = 1 starts no worker and is the fused step', async () => {
    const { diffs } = await compare(1, 6, 2);
    expect(diffs.every((d) => d === 0)).toBe(true);
    const dp = new DataParallelTable(convNet(), { threads: 1, workerScript });
    await dp.ready();
    expect(dp.threads).toBe(1);
    expect((dp as unknown as { pool: unknown }).pool).toBeNull();
    expect(await dp.replicaStates()).toEqual([]);
    await dp.dispose();
    dp.model.dispose();
  });

  it("Dropout in the workers follows the main thread's seed: the same seed steps alike, another seed differently", async () => {
    const dropNet = () => new Sequential(new View(-1, 64), new Dropout(0.5), new Linear(64, 5));
    manualSeed(11);
    const init = dropNet();
    const run = async (seed: number): Promise<number[]> => {
      const model = init.clone();
      const dp = new DataParallelTable(model, { threads: 2, workerScript });
      try {
        for (let step = 0; step < 2; step++) {
          const { x, y } = batch(8, 200 + step);
          manualSeed(`${seed}:${step}`);
          model.zeroGradParameters();
          await dp.backward(new CrossEntropyCriterion(), x, y);
          model.updateParameters(0.5);
          tf.dispose([x, y]);
        }
        return Array.from(model.parameters()[0][0].dataSync());
      } finally {
        await dp.dispose();
        model.dispose();
      }
    };
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    const b = await run(2);
    expect(b).not.toEqual(a);
    init.dispose();
  });

  it('keeps the replicas in sync with the main model (parameters and BatchNorm buffers)', async () => {
    manualSeed(3);
    const model = bnNet();
    const crit = new CrossEntropyCriterion();
    const dp = new DataParallelTable(model, { threads: 3, workerScript });
    const same = async (what: 'params' | 'buffers', vars: Tensor[]) => {
      const mine = vars.map((v) => Array.from(v.dataSync()));
      for (const r of await dp.replicaStates()) expect(r[what].map((t) => Array.from(t.data))).toEqual(mine);
    };
    const buffers = () => Object.entries(model.stateDict()).filter(([k]) => /running|num_batches/.test(k));
    try {
      for (let step = 0; step < 3; step++) {
        const { x, y } = batch(9, 200 + step);
        model.zeroGradParameters();
        await dp.backward(crit, x, y);
        // The replicas computed with exactly the main model's weights...
        await same('params', model.parameters()[0]);
        model.updateParameters(0.05);
        x.dispose();
        y.dispose();
      }
      // ...and sync() (each backward does it) brings the update and BatchNorm's running statistics, as the main replica has them.
      await dp.sync();
      await same('params', model.parameters()[0]);
      const bufs = buffers();
      const replicas = await dp.replicaStates();
      expect(replicas).toHaveLength(2);
      // our buffer order is the modules' (running_mean, running_var, num_batches_tracked)
      for (const r of replicas) expect(r.buffers.map((b) => Array.from(b.data))).toEqual(bufs.map(([, t]) => Array.from(t.dataSync())));
      bufs.forEach(([, t]) => t.dispose());
      expect(Array.from(model.stateDict()['1.num_batches_tracked'].dataSync())).toEqual([3]);
    } finally {
      await dp.dispose();
      model.dispose();
    }
  });

  it("forward: the whole batch's output from the split, with the weights and batch-norm statistics of the latest update", async () => {
    manualSeed(7);
    const model = bnNet();
    const dp = new DataParallelTable(model, { threads: 3, workerScript });
    const { x, y } = batch(7, 400);
    try {
      model.training();
      model.zeroGradParameters();
      await dp.backward(new CrossEntropyCriterion(), x, y);
      model.updateParameters(0.5);
      model.evaluate();
      const whole = (model.forward(x) as Tensor).clone();
      const before = tf.memory().numTensors;
      const split = (await dp.forward(x)) as Tensor; // 3 | 2 | 2 over three replicas
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(split.shape).toEqual([7, 5]);
      // Stale weights or running statistics in a worker would differ by far more than rounding.
      expect(maxAbsDiff(split, whole)).toBeLessThan(1e-5);
      split.dispose();
      whole.dispose();
      const settled = tf.memory().numTensors;
      // An output joined along a dimension that is not its batch's is refused, naming the shapes; nothing is left behind.
      await expect(dp.forward(x, { dim: 1 })).rejects.toThrow("shard 0's output [3,5] does not have its 3 samples in dimension 1");
      expect(tf.memory().numTensors).toBe(settled);
    } finally {
      await dp.dispose();
      x.dispose();
      y.dispose();
      model.dispose();
    }
  });

  it('forward: a table output is joined entry by entry; one replica forwards the whole batch', async () => {
    manualSeed(8);
    const model = tableNet();
    const { x, y } = tableBatch(6, 500);
    for (const threads of [2, 1]) {
      const dp = new DataParallelTable(model, { threads, workerScript });
      try {
        const split = (await dp.forward(x)) as Tensor[];
        const whole = model.forward(x) as Tensor[];
        expect(split.map((t) => t.shape)).toEqual([
          [6, 5],
          [6, 5],
        ]);
        split.forEach((t, i) => expect(maxAbsDiff(t, whole[i]!)).toBeLessThan(1e-6));
        split.forEach((t) => t.dispose());
      } finally {
        await dp.dispose();
      }
    }
    x.dispose();
    (y as Tensor[]).forEach((t) => t.dispose());
    model.dispose();
  });

  it('does not leak tensors in the main thread over 20 steps', async () => {
    manualSeed(5);
    const model = convNet();
    const crit = new CrossEntropyCriterion();
    const dp = new DataParallelTable(model, { threads: 2, workerScript });
    const { x, y } = batch(6, 300);
    const state: OptimState = {};
    const step = async () => {
      model.zeroGradParameters();
      const loss = await dp.backward(crit, x, y);
      sgd(() => [loss, model.parameters()[1]], model.parameters()[0], { learningRate: 0.05, momentum: 0.9 }, state);
      return loss;
    };
    try {
      const first = await step();
      const before = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 20; i++) last = await step();
      expect(tf.memory().numTensors).toBe(before);
      expect(last).toBeLessThan(first);
    } finally {
      await dp.dispose();
      disposeOptimState(state);
      x.dispose();
      y.dispose();
      model.dispose();
    }
  });

  it("a worker's start-up failure rejects, naming the worker", async () => {
    const dp = new DataParallelTable(convNet(), { threads: 2, workerScript, imports: ['./no/such/module.js'] });
    const err = await dp.ready().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ParallelWorkerError);
    expect((err as ParallelWorkerError).worker).toBe(1);
    expect((err as Error).message).toMatch(/^DataParallelTable worker 1: cannot import '.*no\/such\/module\.js'/);
    await dp.dispose();
    dp.model.dispose();
  });

  it("an error in a worker's step rejects, naming the worker; the next step works", async () => {
    // A module that only fails in worker threads, registered there through `imports`.
    const file = join(lib, 'fails-in-workers.js');
    writeFileSync(
      file,
      `import { Module, registerModule } from './index.js';
       import { isMainThread } from 'node:worker_threads';
       export class FailsInWorkers extends Module {
         typeName = 'FailsInWorkers';
         compute(x) { if (!isMainThread && x.shape[0] === 3) throw new Error('boom in a worker'); return x; }
       }
       registerModule('FailsInWorkers', FailsInWorkers);`,
    );
    class FailsInWorkers extends Module {
      readonly typeName = 'FailsInWorkers';
      protected compute(x: Activity): Activity {
        return x;
      }
      override toSpec() {
        return specOf(this.typeName);
      }
    }
    const model = new Sequential(new FailsInWorkers(), new View(-1, 64), new Linear(64, 5));
    const crit = new CrossEntropyCriterion();
    const dp = new DataParallelTable(model, { threads: 2, workerScript, imports: [pathToFileURL(file).href] });
    try {
      const bad = batch(6, 400); // shards of 3: the worker's throws
      const err = await dp.backward(crit, bad.x, bad.y).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ParallelWorkerError);
      expect((err as Error).message).toMatch(/^DataParallelTable worker 1: .*boom in a worker/);
      const good = batch(8, 401);
      model.zeroGradParameters();
      expect(Number.isFinite(await dp.backward(crit, good.x, good.y))).toBe(true);
      tf.dispose([bad.x, bad.y, good.x, good.y]);
    } finally {
      await dp.dispose();
      model.dispose();
    }
  });

  // Child processes: the built package as users load it, and process exit.
  const body = (load: string) => `
    ${load}
    const { tf, setBackend, Sequential, SpatialConvolution, ReLU, SpatialMaxPooling, View, Linear,
            CrossEntropyCriterion, DataParallelTable, fusedBackward, manualSeed, moduleFromSpec } = lib;
    (async () => {
      await setBackend('wasm');
      manualSeed(1);
      const m = new Sequential(new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1), new ReLU(), new SpatialMaxPooling(2, 2, 2, 2),
                               new View(-1, 64), new Linear(64, 3), moduleFromSpec({ type: 'Scale2' }));
      const ref = m.clone();
      const crit = new CrossEntropyCriterion();
      const x = tf.randomNormal([7, 8, 8, 1], 0, 1, 'float32', 3);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 1], 'int32');
      const dp = new DataParallelTable(m, { threads: 2, imports: [process.env.IMPORTS] });
      m.zeroGradParameters();
      const loss = await dp.backward(crit, x, y);
      ref.zeroGradParameters();
      const refLoss = fusedBackward(ref, crit, x, y);
      const g = m.parameters()[1], r = ref.parameters()[1];
      const diff = Math.max(...g.map((t, i) => tf.max(tf.abs(t.sub(r[i]))).dataSync()[0]));
      if (process.env.DISPOSE) await dp.dispose();
      console.log(JSON.stringify({ threads: dp.threads, loss: Math.abs(loss - refLoss) < 1e-6, diff: diff < 1e-6 }));
    })();`;
  // A custom module (scales by 2) that the workers only know through `imports`.
  const scale2 = (esm: boolean) =>
    `${esm ? "import { Module, registerModule } from './index.js';" : "const { Module, registerModule } = require('./index.cjs');"}
     class Scale2 extends Module { typeName = 'Scale2'; compute(x) { return x.mul(2); } }
     registerModule('Scale2', Scale2);`;

  for (const [flavour, esm] of [
    ['ESM', true],
    ['CommonJS', false],
  ] as const) {
    it(`works from the built package in ${flavour}, with custom modules from imports, and the process exits with or without dispose()`, () => {
      const imports = join(lib, esm ? 'scale2.js' : 'scale2.cjs');
      writeFileSync(imports, scale2(esm));
      const load = esm
        ? `const lib = await import(${JSON.stringify(pathToFileURL(join(lib, 'index.js')).href)}); await import(process.env.IMPORTS);`
        : `const lib = require(${JSON.stringify(join(lib, 'index.cjs'))}); require(process.env.IMPORTS);`;
      const code = esm ? body(load) : body(load);
      const args = esm ? ['--input-type=module', '-e', code] : ['-e', code];
      for (const dispose of ['1', '']) {
        const r = spawnSync(process.execPath, args, {
          cwd: dirname(imports),
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, IMPORTS: imports, DISPOSE: dispose },
        });
        expect(r.error, 'the process hung').toBeUndefined();
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ threads: 2, loss: true, diff: true });
      }
    });
  }
});
