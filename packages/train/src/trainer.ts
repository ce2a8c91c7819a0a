/**
 * The training loop every model uses: `train(options, callbacks)`.
 *
 * Exact resume: everything random is a pure function of the seed and the
 * position. The model is initialised after `manualSeed(seed)`; the core RNG
 * (dropout) is reseeded with `<seed>:<step>` before every step; epoch e
 * visits its images in the order `permutation(size, createRng('shuffle',
 * seed, e))`, and generated images are image `e·trainSize + i` of the
 * seeded generator. A checkpoint therefore only needs the weights, the
 * optimizer's buffers and counters, and (epoch, position in the order,
 * step). Without a time limit the learning rate is a pure function of the
 * step too; with one, the schedule also follows the clock, which no
 * resumed run can replay.
 *
 * With `workers` > 1 each batch is split over a `DataParallelTable` (see
 * workers.ts): the same gradient up to floating point, except for
 * BatchNorm (per-shard statistics) and Dropout (each replica draws its own
 * shard's masks, from seeds the main thread's reseeded stream gives it, so
 * resume stays exact), and no training accuracy (the fused step keeps no
 * outputs).
 */
import { tf, type Module } from '@captcha-nn/core';
import type { BestRecord } from './checkpoint';
import type { EpochRecord } from './curves';
import type { RunData } from './data';
import { epochLength, trainEpoch } from './epoch';
import type { EvalResult } from './metrics';
import type { TrainOptions } from './options';
import { recordEpoch, saveRunCheckpoint, validate } from './outputs';
import { emptySums, openRun, type OpenOptions, type Run } from './run';
import type { Task } from './task';
import { modelImports } from './registry';
import { openDataParallel, type WorkerPlan } from './workers';

export interface StartInfo {
  options: TrainOptions;
  data: RunData;
  workers: WorkerPlan;
  backend: string;
  model: Module;
  task: Task;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Where this run starts (non-zero when resumed). */
  startStep: number;
  startEpoch: number;
  resumed: boolean;
  /** Seconds of the time limit the `--init` model took to read the unlabelled images before the first step (0: none). */
  labellingSeconds: number;
}

export interface StepInfo {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch. */
  batch: number;
  stepsPerEpoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  /** This batch's per-character accuracy (null with several workers: the fused step keeps no outputs). */
  accuracy: number | null;
  /** Running means over the epoch so far. */
  epochLoss: number;
  epochAccuracy: number | null;
  /** The learning rate of this step. */
  learningRate: number;
  samplesPerSecond: number;
  /** Seconds to the end of training, at this epoch's pace. */
  eta: number;
}

export interface TrainCallbacks {
  log?(message: string): void;
  onStart?(info: StartInfo): void;
  onEpochStart?(epoch: number, epochs: number, batchesDone: number, stepsPerEpoch: number): void;
  onStep?(info: StepInfo): void;
  onValidation?(done: number, total: number): void;
  onEpochEnd?(record: EpochRecord, validation: EvalResult | null, isBest: boolean): void;
  onCheckpoint?(path: string, step: number): void;
  /** Abort to stop: the trainer saves a checkpoint and returns `interrupted`. */
  signal?: AbortSignal;
  /** Seconds on a monotonic clock (default performance.now): the time limit's clock, replaceable in tests. */
  clock?: () => number;
}

export interface TrainResult {
  /** 'time-limit': stopped by `timeLimit` (validated, best model and checkpoint saved; `--resume` with a larger limit continues). */
  status: 'completed' | 'interrupted' | 'time-limit';
  step: number;
  /** Completed epochs. */
  epochs: number;
  out: string;
  checkpoint: string;
  best: BestRecord | null;
  lastValidation: EvalResult | null;
  /** The learning rate of the last step taken. */
  learningRate: number;
}

/** Partial options for a resumed run: the checkpoint supplies the rest. */
export type ResumeOptions = Partial<TrainOptions> & { out: string; resume: true };

function result(run: Run, status: TrainResult['status']): TrainResult {
  const { step, epoch: epochs, best, lastValidation, learningRate, paths } = run;
  return { status, step, epochs, out: paths.out, checkpoint: paths.checkpoint, best, lastValidation, learningRate };
}

function startInfo(run: Run): StartInfo {
  const { options, data, workers, backend, model, task, stepsPerEpoch, totalSteps, startStep, epoch: startEpoch, resumed, labellingSeconds } = run;
  return { options, data, workers, backend, model, task, stepsPerEpoch, totalSteps, startStep, startEpoch, resumed, labellingSeconds };
}

async function closeRun(run: Run): Promise<void> {
  await run.dp?.dispose();
  run.optimizer.dispose();
  run.ema?.dispose();
  for (const v of Object.values(run.optimizer.state)) if (Array.isArray(v)) for (const t of v) if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
  run.model.dispose();
  run.task.criterion.dispose();
}

/** Epochs from the run's position: train, validate, record, checkpoint; stops on the signal or the time limit. */
async function runEpochs(run: Run, cb: TrainCallbacks): Promise<TrainResult> {
  const o = run.options;
  // With --ema the average is what is scored and saved as best/; the checkpoint keeps both.
  const averaged = <T>(fn: () => Promise<T>): Promise<T> => (run.ema ? run.ema.applied(run.model, fn) : fn());
  const checkpoint = async (atEpoch?: number) => {
    await saveRunCheckpoint(run, atEpoch);
    cb.onCheckpoint?.(run.paths.checkpoint, run.step);
  };
  if (cb.signal?.aborted) {
    await checkpoint();
    return result(run, 'interrupted');
  }
  run.dp = await openDataParallel(run.model, run.workers, { imports: [...(o.imports ?? []), ...modelImports(o.model)], backend: run.backend });
  for (; run.epoch < o.epochs; run.epoch++) {
    const end = await trainEpoch(run, cb);
    if (end === 'interrupted') {
      await checkpoint();
      return result(run, 'interrupted');
    }
    // A time limit mid-epoch: keep the position and the epoch's sums for --resume.
    const partial = run.position < epochLength(run.data.trainSource(run.epoch).size, o.batchSize);
    const ending = end !== 'done' || partial || cb.signal?.aborted === true || run.epoch + 1 >= o.epochs;
    const scored =
      ending || !run.data.validation || (run.epoch + 1) % (o.valEvery ?? 1) === 0
        ? // One swap of the average in and out for both the score and best/ (the checkpoint takes the trained weights).
          await averaged(async () => {
            const val = await validate(run, cb);
            return val === 'interrupted' ? null : { val, ...(await recordEpoch(run, val, partial)) };
          })
        : { val: null, ...(await recordEpoch(run, 'skipped', partial)) };
    if (!scored) {
      await checkpoint();
      return result(run, 'interrupted');
    }
    const { val, record, isBest } = scored;
    cb.onEpochEnd?.(record, val, isBest);
    if (partial) {
      await checkpoint();
      return result(run, 'time-limit');
    }
    run.position = 0;
    run.sums = emptySums();
    await checkpoint(run.epoch + 1);
    if (end === 'time-limit' || cb.signal?.aborted) {
      run.epoch++;
      return result(run, end === 'time-limit' ? (run.epoch < o.epochs ? 'time-limit' : 'completed') : 'interrupted');
    }
  }
  return result(run, 'completed');
}

/**
 * Trains a registered model; see the file comment for how resume stays
 * exact. Writes `out/checkpoint.safetensors` every epoch and when
 * interrupted, `out/best/` (saveModel), `out/metrics.jsonl` and `out/curves.png`.
 */
export async function train(options: OpenOptions | ResumeOptions, cb: TrainCallbacks = {}): Promise<TrainResult> {
  const run = await openRun(options, cb);
  try {
    cb.onStart?.(startInfo(run));
    return await runEpochs(run, cb);
  } finally {
    await closeRun(run);
  }
}
