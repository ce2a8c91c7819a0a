/**
 * The worker-thread entry of DataParallelTable (`dist/parallel/worker.js`,
 * `worker.cjs`): one replica of the model on its own tfjs backend.
 *
 * It loads the library the way the main thread did, from the package entry
 * beside it (`../index.js` for ESM, `../index.cjs` for CommonJS; the main
 * thread passes its URL as `workerData.core`), so the
 * modules a user's `imports` register (`registerModule`) land in the same
 * registry the replica is built from, provided those files load
 * `@captcha-nn/core` the same way (`import` with an ESM main thread,
 * `require` with a CommonJS one). Nothing of the library is bundled here.
 *
 * Protocol (./protocol.ts): `workerData` carries the spec; the worker answers
 * `ready` with its tensors' shapes, then serves `step` (load the main
 * replica's parameters and buffers, fused forward/backward on the shard,
 * reply with the loss and the scaled gradients), `forward` (the same state,
 * then the shard's output), `sync` and `state`, one at a
 * time, in order. Errors come back as `error` replies; the main thread names
 * the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as Core from '../index';
import type { Criterion } from '../nn/Criterion';
import type { Module } from '../nn/Module';
import { type Reply, type Request, transferList, type Wire, type WireTensor, type WorkerInit } from './protocol';
import { activityFromWire, activityToWire, assignAll, type ReplicaState, replicaState, shapesOf, stateWires, toWire } from './replica';

type CoreLib = typeof Core;

if (!parentPort) throw new Error('@captcha-nn/core parallel/worker: run it as a worker thread (DataParallelTable starts it)');
const port = parentPort;
const init = workerData as WorkerInit;

function post(reply: Reply): void {
  port.postMessage(reply, transferList(reply));
}

function replyError(id: number | null, e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  post({ kind: 'error', id, message: err.message, stack: err.stack, name: err.name });
}

async function loadCore(): Promise<CoreLib> {
  // import() of a CommonJS file goes through require's cache: the same instance a user's require() gets.
  return (await import(/* @vite-ignore */ init.core)) as CoreLib;
}

async function importUserModule(specifier: string): Promise<void> {
  try {
    await import(/* @vite-ignore */ specifier);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot import '${specifier}' (from the imports option): ${why}`);
  }
}

let core: CoreLib;
let model: Module;
let state: ReplicaState;
const criteria = new Map<string, Criterion>();

function criterionFor(spec: Core.CriterionSpec): Criterion {
  const key = JSON.stringify(spec);
  let c = criteria.get(key);
  if (!c) {
    c = core.criterionFromSpec(spec);
    criteria.set(key, c);
  }
  return c;
}

function loadState(params: WireTensor[], buffers: WireTensor[], train: boolean[], seed?: number): void {
  const { tf } = core;
  assignAll(tf, state.params, params, 'parameter');
  assignAll(tf, state.buffers, buffers, 'buffer');
  if (train.length !== state.modules.length) throw new Error(`the model has ${train.length} modules, this replica ${state.modules.length}`);
  state.modules.forEach((m, i) => (m.train = train[i]));
  if (seed !== undefined) core.manualSeed(seed);
}

async function handle(req: Request): Promise<void> {
  const { tf } = core;
  switch (req.kind) {
    case 'step': {
      loadState(req.params, req.buffers, req.train, req.seed);
      model.zeroGradParameters();
      const criterion = criterionFor(req.criterion);
      const input = activityFromWire(tf, req.input) as Core.Tensor | Core.Tensor[];
      const target = activityFromWire(tf, req.target);
      let loss: number;
      try {
        loss = core.fusedBackward(model, criterion, input, target as Core.Tensor, req.scale);
      } finally {
        for (const t of [input, target].flat(Infinity as 1)) if (t instanceof tf.Tensor) t.dispose();
      }
      // The parameters' arrays are free once loaded: the gradients go back in them.
      const grads = await Promise.all(state.grads.map((g, i) => toWire(tf, g, req.params[i]?.data)));
      post({ kind: 'step', id: req.id, loss, grads });
      return;
    }
    case 'forward': {
      loadState(req.params, req.buffers, req.train, req.seed);
      const input = activityFromWire(tf, req.input) as Core.Activity;
      let output: Wire;
      try {
        output = await activityToWire(tf, model.forward(input));
      } finally {
        for (const t of [input].flat(Infinity as 1)) if (t instanceof tf.Tensor) t.dispose();
      }
      post({ kind: 'forward', id: req.id, output });
      return;
    }
    case 'sync':
      loadState(req.params, req.buffers, req.train);
      post({ kind: 'sync', id: req.id });
      return;
    case 'state': {
      const [{ params, buffers }] = await stateWires(tf, state, 1);
      post({ kind: 'state', id: req.id, params, buffers });
      return;
    }
  }
}

async function start(): Promise<void> {
  core = await loadCore();
  await core.setBackend(init.backend);
  for (const specifier of init.imports) await importUserModule(specifier);
  model = core.moduleFromSpec(init.spec);
  state = replicaState(model);
  post({ kind: 'ready', params: shapesOf(state.params), buffers: shapesOf(state.buffers), modules: state.modules.length });
}

// Requests are served one at a time, in arrival order.
let queue: Promise<void> = start().catch((e) => {
  replyError(null, e);
  // Without a model, every request would fail the same way: stop here.
  port.close();
});
port.on('message', (req: Request) => {
  queue = queue.then(() => handle(req).catch((e) => replyError(req.id, e)));
});
