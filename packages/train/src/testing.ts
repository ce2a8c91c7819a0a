/**
 * Helpers for model packages' tests (`@captcha-nn/train/testing`): fit a
 * model to one batch, and check that a registered model trains through the
 * trainer and its saved best model reads exactly as the trained one did.
 */
import { Optimizer, fusedBackward, type Module, type Tensor } from '@captcha-nn/core';
import { batches, generatorSource, runGenerate, simplePreset, type Batch } from '@captcha-nn/data';
import { makeGenerator, type ChannelFormat, type GenerateDataSpec } from './data';
import type { Decoded } from './metrics';
import { loadCaptchaModel } from './modelio';
import type { ModelParts } from './registry';
import { disposeInput, trainingInput, type Task, type TaskSpec } from './task';
import { train } from './trainer';

export interface RoundTrip {
  steps: number;
  /** The trained model's task, and the one its saved metadata names. */
  spec: TaskSpec;
  savedSpec: TaskSpec;
  /**
   * The best epoch's model on a probe batch, in memory and after loading it back, both read as the trained
   * task reads (a saved CTC model would otherwise read its training labels' lengths: ctcTask's readLength).
   */
  trained: Decoded;
  loaded: Decoded;
}

/** Trains `model` (compact) for 2 epochs on `data` into `out`, then decodes a probe batch with the trained and the reloaded best model. */
export async function trainAndReload(model: string, data: GenerateDataSpec & { channels?: ChannelFormat }, out: string): Promise<RoundTrip> {
  let x: Tensor | undefined;
  for await (const b of batches(generatorSource(makeGenerator(data, 'probe'), { count: 6, format: data.channels }), { batchSize: 6, shuffle: false })) {
    x = b.x;
    b.y.dispose();
    b.lengths.dispose();
  }
  let net: Module | undefined;
  let task: Task | undefined;
  let trained: Decoded | undefined;
  try {
    const r = await train(
      { model, variant: 'compact', data, epochs: 2, batchSize: 8, seed: '1', out },
      {
        onStart: (s) => {
          net = s.model;
          task = s.task;
        },
        onEpochEnd: (_r, _v, isBest) => {
          if (!isBest) return;
          net!.evaluate();
          trained = task!.decode(net!.forward(x!));
        },
      },
    );
    const saved = await loadCaptchaModel(r.out);
    try {
      return {
        steps: r.step,
        spec: task!.spec,
        savedSpec: saved.metadata.task,
        trained: trained!,
        loaded: saved.task.decode(saved.model.forward(x!), { length: 'any' }),
      };
    } finally {
      saved.model.dispose();
    }
  } finally {
    x!.dispose();
  }
}

/** The first `n` seed-preset captchas of a seeded generator, as one batch (the caller disposes it). */
export async function sampleBatch(n: number, seed: string): Promise<Batch> {
  for await (const b of batches(generatorSource(simplePreset('seed', { seed }), { count: n }), { batchSize: n, shuffle: false })) return b;
  throw new Error('sampleBatch: no batch');
}

/** `steps` Adam steps (lr 0.003, the fused forward/backward) of a model on one batch, in training mode; the losses. */
export function fitBatch({ model, task }: ModelParts, b: Batch, steps: number): number[] {
  const optimizer = new Optimizer(model, 'adam', { learningRate: 0.003 });
  const target = task.target(b.y);
  const input = trainingInput(task, b.x, b.y);
  const losses: number[] = [];
  model.training();
  try {
    for (let i = 0; i < steps; i++) {
      model.zeroGradParameters();
      losses.push(optimizer.step(fusedBackward(model, task.criterion, input, target)));
    }
  } finally {
    task.disposeTarget(target, b.y);
    disposeInput(input, b.x);
    optimizer.dispose();
  }
  return losses;
}

/** Small, quick generated captchas for tests: 48x16, two characters from four, 32 per epoch. */
export const TINY_DATA: GenerateDataSpec & { channels: 'gray' } = {
  kind: 'generate',
  generator: 'simple',
  preset: 'seed',
  length: 2,
  size: { width: 48, height: 16 },
  charset: 'ab12',
  trainSize: 32,
  valSize: 16,
  fresh: false,
  channels: 'gray',
};

/** Writes `count` TINY_DATA-style captchas as `<index>_<label>.png` files into `dir`. */
export async function writeTinyPngs(dir: string, count: number, seed: string, channels: 'gray' | 'rgb' = 'gray'): Promise<void> {
  const { length, size, charset } = TINY_DATA;
  await runGenerate(
    { generator: 'simple', preset: 'seed', count, length, size, charset, seed, out: dir, start: 0, channels, progress: false },
    () => undefined,
  );
}
