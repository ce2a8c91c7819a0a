// One configuration of `npm run threads` (threads.mjs), in its own worker thread with its own tfjs:
// wasm with `threads` threads (tfjs's threaded build past 1), or DataParallelTable over `replicas`
// single-threaded replicas. It builds the model once, then answers { op: 'train' | 'infer', n } with the
// times of n fused training steps or n forwards of batch 1 or the training batch (inferBatch), until { op: 'exit' }.
import { parentPort, workerData } from 'node:worker_threads';
import { DataParallelTable, fusedBackward, getWasmThreads, manualSeed, optim, setBackend, setWasmThreads, tf } from '@captcha-nn/core';
import { buildModel, makeBatch } from './models.mjs';

const { spec, batch, threads = 1, replicas = 0 } = workerData;
setWasmThreads(threads);
await setBackend('wasm');
manualSeed(1);
const { model, criterion } = buildModel(spec);
const [params, grads] = model.parameters();
const { x, y } = makeBatch(spec, batch);
const inputs = { 1: makeBatch(spec, 1), [batch]: makeBatch(spec, batch) };
const state = { learningRate: 0.01, momentum: 0.9, dampening: 0 };
const dp = replicas ? new DataParallelTable(model, { threads: replicas, backend: 'wasm' }) : null;
if (dp) await dp.ready();

const train = dp
  ? async () => {
      model.zeroGradParameters();
      const loss = await dp.backward(criterion, x, y);
      optim.sgd(() => [loss, grads], params, state, state);
    }
  : async () => {
      model.zeroGradParameters();
      optim.sgd(() => [fusedBackward(model, criterion, x, y), grads], params, state, state);
    };
const infer = async (n) => {
  model.evaluate();
  const out = model.forward(inputs[n].x);
  (Array.isArray(out) ? out[0] : out).dataSync();
  model.training();
};

parentPort.on('message', async ({ op, n, inferBatch = 1 }) => {
  if (op === 'exit') {
    await dp?.dispose();
    process.exit(0);
  }
  const step = op === 'train' ? train : () => infer(inferBatch);
  const before = tf.memory().numTensors;
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  parentPort.postMessage({ times, tensorsGained: tf.memory().numTensors - before });
});
parentPort.postMessage({ ready: true, threads: getWasmThreads() });
