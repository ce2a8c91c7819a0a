/**
 * A plain Torch-style training loop over `@captcha-nn/data` batches:
 * forward, criterion, backward, optim step; loss, per-character and
 * whole-captcha accuracy on a held-out generated set after each epoch.
 * The CNN+RNN example (`@captcha-nn/example-rnn-captcha`) trains with it too.
 */
import { tf, optim, manualSeed, fusedBackward, type Tensor, type Module, type Criterion, type Variable } from '@captcha-nn/core';
import {
  simplePreset,
  SvgCaptchaGenerator,
  generatorSource,
  batches,
  type CaptchaGenerator,
  type ImageSource,
  type Batch,
  type Sample,
  type SimplePreset,
} from '@captcha-nn/data';
import type { CaptchaModel, CaptchaModelOptions } from './index';

export interface TrainOptions {
  variant: 'seed' | 'compact';
  epochs: number;
  batch: number;
  lr: number;
  optimizer: 'adam' | 'sgd';
  /** Training images per epoch. */
  trainSize: number;
  testSize: number;
  /** Draw fresh images every epoch instead of reusing one fixed set. */
  fresh: boolean;
  seed: number;
  preset: SimplePreset;
  generator: 'simple' | 'svg';
  length: number;
  /** Stop after this many minutes of training (0: no limit), measured on `clock`. */
  timeLimit: number;
  /** `wall` time, or this process's `cpu` time (fairer on a shared machine). */
  clock: 'wall' | 'cpu';
  /** Learning-rate schedule: cosine decay to 2% over all steps (or over the time limit, if that comes first), or none. */
  schedule: 'cosine' | 'none';
  weightDecay: number;
  log?: (line: string) => void;
}

export const defaultTrainOptions: TrainOptions = {
  variant: 'compact',
  epochs: 10,
  batch: 32,
  lr: 0.002,
  optimizer: 'adam',
  trainSize: 10_000,
  testSize: 1_000,
  fresh: false,
  seed: 1,
  preset: 'seed',
  generator: 'simple',
  length: 5,
  timeLimit: 0,
  clock: 'wall',
  schedule: 'cosine',
  weightDecay: 0,
};

export interface EpochReport {
  epoch: number;
  steps: number;
  loss: number;
  charAccuracy: number;
  captchaAccuracy: number;
  msPerStep: number;
  /** Wall seconds since training started. */
  seconds: number;
  /** CPU seconds this process used since training started (the machine is shared). */
  cpuSeconds: number;
}

export function makeGenerator(kind: 'simple' | 'svg', preset: SimplePreset, seed: string | number, length: number): CaptchaGenerator {
  if (kind === 'svg') return new SvgCaptchaGenerator({ seed, width: 200, height: 50, size: length });
  return simplePreset(preset, { seed, ...(length !== 5 || preset !== 'seed' ? { length } : {}) });
}

/** A source whose decoded images are kept in memory after the first load (a fixed training set). */
export function cachedSource(src: ImageSource): ImageSource {
  const cache: Array<Sample<Uint8Array> | null | undefined> = new Array(src.size);
  return {
    size: src.size,
    width: src.width,
    height: src.height,
    channels: src.channels,
    encoder: src.encoder,
    maxLength: src.maxLength,
    load: async (i: number) => {
      const hit = cache[i];
      if (hit !== undefined) return hit;
      const s = await src.load(i);
      cache[i] = s;
      return s;
    },
  };
}

/** The target in the model's format: the [N,L] tensor, or a table of L [N] tensors. */
export function formatTarget(y: Tensor, format: 'tensor' | 'table'): Tensor | Tensor[] {
  return format === 'tensor' ? y : tf.unstack(y, 1);
}

/** Class predictions [N,L] from the model's output (argmax over the last axis; a table is stacked along axis 1). */
export function predict(output: Tensor | Tensor[]): Tensor {
  return tf.tidy(() => tf.cast(tf.argMax(Array.isArray(output) ? tf.stack(output, 1) : output, -1), 'int32'));
}

/** The first `n` captchas of a `preset` generator with this seed, as one batch (the caller disposes it). */
export async function sampleBatch(n: number, seed: string | number, preset: SimplePreset = 'seed'): Promise<Batch> {
  const src = generatorSource(simplePreset(preset, { seed }), { count: n });
  for await (const b of batches(src, { batchSize: n, shuffle: false })) return b;
  throw new Error('sampleBatch: no batch');
}

/** An optimizer bound to a model: `step(x, y)` runs one fused forward/backward and update, and returns the loss. */
export interface CaptchaStepper {
  /** The optimizer's config; set `learningRate` to schedule it. */
  config: { learningRate: number; weightDecay: number; momentum?: number; dampening?: number; nesterov?: boolean };
  /** One training step on a batch: `y` is the [N,length] int32 label tensor (formatted for the model here). */
  step(x: Tensor, y: Tensor): number;
}

/** Adam, or SGD with Nesterov momentum 0.9, over a captcha model's parameters (the model is put in training mode). */
export function captchaStepper(cm: CaptchaModel, o: { optimizer: 'adam' | 'sgd'; lr: number; weightDecay?: number }): CaptchaStepper {
  const { model, criterion, targetFormat } = cm;
  model.training();
  const [params, grads] = model.parameters() as [Variable[], Variable[]];
  const config: CaptchaStepper['config'] = { learningRate: o.lr, weightDecay: o.weightDecay ?? 0 };
  if (o.optimizer === 'sgd') Object.assign(config, { momentum: 0.9, dampening: 0, nesterov: true });
  const state: Record<string, unknown> = {};
  const methodConfig = config as unknown as Record<string, unknown>;
  const method = o.optimizer === 'sgd' ? optim.sgd : optim.adam;
  return {
    config,
    step(x: Tensor, y: Tensor): number {
      const target = formatTarget(y, targetFormat);
      const [, [loss]] = method(
        () => {
          model.zeroGradParameters();
          const l = fusedBackward(model, criterion as Criterion, x, target);
          return [l, grads];
        },
        params,
        methodConfig,
        state,
      );
      if (Array.isArray(target)) target.forEach((t) => t.dispose());
      return loss!;
    },
  };
}

/** Per-character and whole-captcha accuracy of a model on a source. */
export async function evaluateAccuracy(model: Module, source: ImageSource, batchSize = 100): Promise<{ charAccuracy: number; captchaAccuracy: number }> {
  model.evaluate();
  let chars = 0;
  let whole = 0;
  let n = 0;
  for await (const b of batches(source, { batchSize, shuffle: false })) {
    const [c, w] = tf.tidy(() => {
      const eq = tf.cast(tf.equal(predict(model.forward(b.x) as Tensor | Tensor[]), b.y), 'float32');
      return [tf.sum(eq).dataSync()[0]!, tf.sum(tf.min(eq, 1)).dataSync()[0]!];
    });
    chars += c;
    whole += w;
    n += b.labels.length;
    b.dispose();
  }
  model.training();
  return { charAccuracy: chars / (n * source.maxLength), captchaAccuracy: whole / n };
}

/** Trains a captcha model; returns the per-epoch reports. */
export async function trainCaptcha(
  build: (o: CaptchaModelOptions) => CaptchaModel,
  options: Partial<TrainOptions> = {},
): Promise<{ reports: EpochReport[]; model: CaptchaModel }> {
  const o = { ...defaultTrainOptions, ...options };
  const log = o.log ?? ((s: string) => console.log(s));
  manualSeed(o.seed);
  const trainGen = makeGenerator(o.generator, o.preset, `${o.seed}-train`, o.length);
  const testGen = makeGenerator(o.generator, o.preset, `${o.seed}-test`, o.length);
  const fixed = cachedSource(generatorSource(trainGen, { count: o.trainSize }));
  const test = cachedSource(generatorSource(testGen, { count: o.testSize }));
  const enc = fixed.encoder;
  const cm = build({ variant: o.variant, numClasses: enc.numClasses, length: fixed.maxLength, height: fixed.height, width: fixed.width, channels: fixed.channels });
  const { model } = cm;
  const { config, step: trainStep } = captchaStepper(cm, o);
  const stepsPerEpoch = Math.ceil(o.trainSize / o.batch);
  const totalSteps = stepsPerEpoch * o.epochs;
  const reports: EpochReport[] = [];
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  const cpuSeconds = (): number => {
    const u = process.cpuUsage(cpu0);
    return (u.user + u.system) / 1e6;
  };
  /** Seconds on the chosen clock since training started. */
  const elapsed = (): number => (o.clock === 'cpu' ? cpuSeconds() : (Date.now() - t0) / 1000);
  let step = 0;
  let stopped = false;
  for (let epoch = 1; epoch <= o.epochs && !stopped; epoch++) {
    const source = o.fresh && epoch > 1 ? generatorSource(trainGen, { count: o.trainSize, start: (epoch - 1) * o.trainSize }) : fixed;
    const te = Date.now();
    let lossSum = 0;
    let steps = 0;
    for await (const b of batches(source, { batchSize: o.batch, seed: o.seed, epoch, dropRemainder: true })) {
      if (o.schedule === 'cosine') {
        // Progress is the larger of steps done and time used (with a time limit), so the decay ends in time.
        const p = Math.min(1, Math.max(step / totalSteps, o.timeLimit > 0 ? elapsed() / (o.timeLimit * 60) : 0));
        config.learningRate = o.lr * (0.02 + 0.98 * 0.5 * (1 + Math.cos(Math.PI * p)));
      }
      const loss = trainStep(b.x, b.y);
      b.dispose();
      lossSum += loss;
      steps++;
      step++;
      if (o.timeLimit > 0 && elapsed() > o.timeLimit * 60) {
        stopped = true;
        break;
      }
    }
    const trainMs = Date.now() - te;
    const acc = await evaluateAccuracy(model, test);
    const r: EpochReport = {
      epoch,
      steps,
      loss: lossSum / Math.max(1, steps),
      ...acc,
      msPerStep: trainMs / Math.max(1, steps),
      seconds: (Date.now() - t0) / 1000,
      cpuSeconds: cpuSeconds(),
    };
    reports.push(r);
    log(
      `epoch ${epoch}/${o.epochs}  loss ${r.loss.toFixed(4)}  char ${(100 * r.charAccuracy).toFixed(2)}%  captcha ${(100 * r.captchaAccuracy).toFixed(2)}%  ` +
        `${r.msPerStep.toFixed(0)} ms/step  lr ${config.learningRate.toExponential(2)}  ${r.seconds.toFixed(0)} s (cpu ${r.cpuSeconds.toFixed(0)} s)${stopped ? '  (time limit)' : ''}`,
    );
  }
  return { reports, model: cm };
}
