/**
 * In-browser training, off the page's thread: a fresh model of the shipped
 * one's architecture (its spec), on seed-preset captchas drawn here with the
 * data package's generator, on the backend the page chose. Posts every step's
 * loss, per-character accuracy and samples/s; stops between steps when asked;
 * saves in the CLI's `best/` format (model.json + weights.safetensors).
 */
import {
  ClassNLLCriterion,
  type Criterion,
  encodeModel,
  type Module,
  type ModuleSpec,
  MultiCrossEntropyCriterion,
  manualSeed,
  moduleFromSpec,
  Optimizer,
  SequencerCriterion,
  type Tensor,
  tf,
} from '@captcha-nn/core';
import { type DemoBackend, startBackend } from './backends';
import { loadGeneratorFonts, seedGenerator } from './generate';
import { type CaptchaMeta, inputFromRGBA, labelIds, probabilities } from './reading';

export type ToWorker =
  | { type: 'start'; backend: DemoBackend; base: string; spec: ModuleSpec; meta: CaptchaMeta; batch: number; lr: number; seed: string }
  | { type: 'stop' }
  | { type: 'save' };

export type FromWorker =
  | { type: 'started'; backend: string }
  | { type: 'step'; step: number; loss: number; accuracy: number; samplesPerSecond: number; tensors: number }
  | { type: 'stopped'; step: number }
  | { type: 'saved'; json: Uint8Array; weights: Uint8Array }
  | { type: 'error'; message: string };

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let running = false;
let model: Module | null = null;
let meta: CaptchaMeta | null = null;
let steps = 0;
let seedUsed = '';

function criterionFor(m: CaptchaMeta): Criterion {
  return m.task.name === 'text' && m.task.format === 'tensor' ? new MultiCrossEntropyCriterion() : new SequencerCriterion(new ClassNLLCriterion());
}

/** One batch of fresh captchas: x [B, H, W, C] in 0..1, y [B, L] class ids. */
function batchAt(gen: ReturnType<typeof seedGenerator>, m: CaptchaMeta, first: number, size: number): { x: Tensor; y: Tensor } {
  const { height: H, width: W, channels: C } = m.input;
  const data = new Float32Array(size * H * W * C);
  const labels: string[] = [];
  for (let i = 0; i < size; i++) {
    const { rgba, label } = gen.render(first + i);
    inputFromRGBA(m, rgba, data, i * H * W * C);
    labels.push(label);
  }
  return { x: tf.tensor4d(data, [size, H, W, C]), y: tf.tensor2d(labelIds(m, labels), [size, m.length], 'int32') };
}

async function train(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const backend = await startBackend(msg.backend);
  await loadGeneratorFonts(msg.base);
  model?.dispose();
  meta = msg.meta;
  seedUsed = msg.seed;
  manualSeed(msg.seed);
  model = moduleFromSpec(msg.spec);
  model.training();
  steps = 0;
  const criterion = criterionFor(meta);
  const optimizer = new Optimizer(model, 'adam', { learningRate: msg.lr });
  const gen = seedGenerator(msg.seed, { ...meta.input, charset: meta.charset, length: meta.length });
  post({ type: 'started', backend });
  running = true;
  let last = performance.now();
  while (running) {
    const { x, y } = batchAt(gen, meta, steps * msg.batch, msg.batch);
    let loss: number;
    let right = 0;
    try {
      const target = meta.task.name === 'text' && meta.task.format === 'table' ? tf.unstack(y, 1) : y;
      model.zeroGradParameters();
      const output = model.forward(x);
      loss = criterion.forward(output, target);
      model.backward(x, criterion.backward(output, target));
      optimizer.step(loss);
      right = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(probabilities(output), -1), y), 'int32')).dataSync()[0]!);
      if (Array.isArray(target)) for (const t of target) t.dispose();
    } finally {
      x.dispose();
      y.dispose();
    }
    steps++;
    const now = performance.now();
    post({
      type: 'step',
      step: steps,
      loss,
      accuracy: right / (msg.batch * meta.length),
      samplesPerSecond: msg.batch / ((now - last) / 1000),
      tensors: tf.memory().numTensors,
    });
    last = now;
    // Let 'stop' and 'save' messages in between steps.
    await new Promise((r) => setTimeout(r, 0));
  }
  optimizer.dispose();
  post({ type: 'stopped', step: steps });
}

function save(): void {
  if (!model || !meta) throw new Error('save: nothing trained yet (start training first)');
  model.evaluate();
  const metadata = {
    ...meta,
    training: {
      epoch: 0,
      step: steps,
      validation: null,
      data: `generated in the browser: simple preset seed captchas, ${meta.input.width}x${meta.input.height}, length ${meta.length}, charset "${meta.charset}"`,
      seed: seedUsed,
      savedAt: new Date().toISOString(),
    },
  };
  const { json, weights } = encodeModel(model, { metadata });
  if (running) model.training();
  post({ type: 'saved', json, weights }, [json.buffer, weights.buffer]);
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  try {
    if (msg.type === 'start') {
      if (running) throw new Error('start: training is already running (stop it first)');
      train(msg).catch((err: unknown) => {
        running = false;
        post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      });
    } else if (msg.type === 'stop') running = false;
    else if (msg.type === 'save') save();
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
