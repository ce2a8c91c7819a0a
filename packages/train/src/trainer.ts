/**
 * The training loop, usable as a library: `train(options, callbacks)`.
 *
 * Exact resume: everything random is a pure function of the seed and the
 * position. The model is initialised after `manualSeed(seed)`; the core RNG
 * (dropout) is reseeded with `<seed>:<step>` before every step; epoch e
 * visits its images in the order `permutation(size, createRng('shuffle',
 * seed, e))`, and generated images are image `e·trainSize + i` of the
 * seeded generator. A checkpoint therefore only needs the weights, the
 * optimizer's buffers and counters, and (epoch, batch, step): a resumed run
 * takes the same steps on the same batches as an uninterrupted one.
 * The learning rate is a pure function of the step too (`learningRateAt`),
 * over a horizon fixed when the run starts and kept in the checkpoint.
 *
 * With `workers` > 1 each batch is split over a `DataParallelTable` (see
 * workers.ts): the same gradient up to floating point, except for
 * BatchNorm (per-shard statistics) and Dropout (the worker replicas draw
 * their own masks, not reseeded per step), and no training accuracy (the
 * fused step keeps no outputs).
 */
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Optimizer, manualSeed, type DataParallelTable, ready, setBackend, tf, type Activity, type Criterion, type Module, type OptimName, type Tensor } from '@captcha-nn/core';
import { batches, createRng, permutation, subset } from '@captcha-nn/data';
import { CHECKPOINT_FILE, loadCheckpoint, readCheckpointState, saveCheckpoint, type BestRecord, type CheckpointState, type EpochSums } from './checkpoint';
import { writeCurves, type EpochRecord } from './curves';
import { openRunData, type DataSpec, type RunData } from './data';
import { decodeOutput, evaluateModel, type EvalResult, type TargetFormat } from './metrics';
import { saveCaptchaModel, type CaptchaModelMetadata } from './modelio';
import { getModelBuilder } from './registry';
import { openDataParallel, trainingWorkers, type WorkerPlan } from './workers';

export const OPTIMIZERS = ['sgd', 'adam', 'adadelta', 'rmsprop', 'adagrad'] as const;
export const SCHEDULES = ['none', 'cosine'] as const;
/** Where `--schedule cosine` ends: this fraction of `--lr`. */
export const COSINE_FLOOR = 0.02;

/** Everything that defines a run. Saved in the checkpoint; `--resume` reads it back. */
export interface TrainOptions {
  /** Registry name: cnn, crnn, tiny, or one added with registerModel. */
  model: string;
  variant: 'seed' | 'compact';
  data: DataSpec;
  epochs: number;
  batchSize: number;
  /** Learning rate (the optimizer's learningRate). */
  lr: number;
  optim: OptimName;
  /** SGD momentum (default 0.9 for sgd). */
  momentum?: number;
  /** L2 weight decay added to the gradients (the optimizer's weightDecay; default 0). */
  weightDecay: number;
  /** Learning-rate schedule: 'none' (constant `lr`), or 'cosine' from `lr` to 2% of it over the planned steps, per step. */
  schedule: 'none' | 'cosine';
  /**
   * Stop after the step during which the run's training time (resumed
   * sessions included) passes this many minutes, then validate, save the
   * best model and a checkpoint. 0: no limit.
   */
  timeLimit: number;
  /** tfjs backend (default: CAPTCHA_NN_BACKEND, else wasm). */
  backend?: string;
  /** Data-parallel replicas (DataParallelTable): 1 (default) trains in this thread only. */
  workers: number;
  /**
   * Module specifiers each data-parallel worker imports before building its
   * replica, so that custom module or criterion classes are registered
   * (`registerModule`). Not needed for models made of the core's classes.
   */
  imports?: string[];
  seed: string;
  /** The run folder: checkpoint, best/, metrics.jsonl, curves.png. */
  out: string;
}

/** Options a resumed run may change; the others must match the checkpoint. */
export const RESUMABLE_OPTIONS = ['epochs', 'backend', 'workers', 'timeLimit', 'imports'] as const;

export const DEFAULTS = { variant: 'compact', epochs: 10, batchSize: 32, optim: 'adam', weightDecay: 0, schedule: 'none', timeLimit: 0, workers: 1, seed: '1' } as const;

/**
 * The learning rate of the step after `step` steps: `lr` for 'none'; for
 * 'cosine', lr·(f + (1−f)·(1 + cos(π·min(1, step/horizon)))/2) with f = 2%
 * (`COSINE_FLOOR`), so `lr` at step 0 and 2% of it from `horizon` on.
 */
export function learningRateAt(o: Pick<TrainOptions, 'lr' | 'schedule'>, step: number, horizon: number): number {
  if (o.schedule !== 'cosine') return o.lr;
  const p = horizon > 0 ? Math.min(1, step / horizon) : 1;
  return o.lr * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * p)));
}

export interface StartInfo {
  options: TrainOptions;
  data: RunData;
  workers: WorkerPlan;
  backend: string;
  model: Module;
  criterion: Criterion;
  targetFormat: TargetFormat;
  stepsPerEpoch: number;
  totalSteps: number;
  /** Where this run starts (non-zero when resumed). */
  startStep: number;
  startEpoch: number;
  resumed: boolean;
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
}

/** Partial options for a resumed run: the checkpoint supplies the rest. */
export type ResumeOptions = Partial<TrainOptions> & { out: string; resume: true };

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Fills defaults and checks values; errors are messages for the user. */
export function resolveTrainOptions(o: Partial<TrainOptions> & { out: string }): TrainOptions {
  const r = {
    variant: DEFAULTS.variant,
    epochs: DEFAULTS.epochs,
    batchSize: DEFAULTS.batchSize,
    optim: DEFAULTS.optim,
    weightDecay: DEFAULTS.weightDecay,
    schedule: DEFAULTS.schedule,
    timeLimit: DEFAULTS.timeLimit,
    workers: DEFAULTS.workers,
    seed: DEFAULTS.seed,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as TrainOptions & { resume?: boolean };
  delete r.resume;
  if (!r.model) throw new Error('no model: pass --model (cnn, crnn, tiny, …)');
  if (!r.data) throw new Error('no training data: pass --data DIR or --generate simple|svg');
  if (r.lr === undefined) r.lr = r.optim === 'sgd' ? 0.05 : r.optim === 'adadelta' ? 1 : 1e-3;
  if (r.optim === 'sgd' && r.momentum === undefined) r.momentum = 0.9;
  if (!(OPTIMIZERS as readonly string[]).includes(r.optim)) throw new Error(`unknown optimizer '${r.optim}' (known: ${OPTIMIZERS.join(', ')})`);
  for (const k of ['epochs', 'batchSize', 'workers'] as const)
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new Error(`${k} must be a positive integer, got ${r[k]}`);
  if (!(r.lr > 0) || !Number.isFinite(r.lr)) throw new Error(`the learning rate must be a positive number, got ${r.lr}`);
  if (!(r.weightDecay >= 0) || !Number.isFinite(r.weightDecay)) throw new Error(`the weight decay must be a number >= 0, got ${r.weightDecay}`);
  if (!(r.timeLimit >= 0) || !Number.isFinite(r.timeLimit)) throw new Error(`the time limit must be a number of minutes >= 0, got ${r.timeLimit}`);
  if (!(SCHEDULES as readonly string[]).includes(r.schedule)) throw new Error(`unknown schedule '${r.schedule}' (known: ${SCHEDULES.join(', ')})`);
  if (r.imports !== undefined && (!Array.isArray(r.imports) || r.imports.some((m) => typeof m !== 'string'))) throw new Error('imports must be a list of module specifiers');
  // Relative module paths: from here, so that a resumed run in another folder finds them.
  if (r.imports) r.imports = r.imports.map((m) => (/^\.{1,2}[/\\]/.test(m) ? resolve(m) : m));
  r.seed = String(r.seed);
  r.out = resolve(r.out);
  return r;
}

/** The checkpoint's options with a resumed run's changes; anything else that differs is an error. */
export function mergeResumeOptions(saved: TrainOptions, given: Partial<TrainOptions>): TrainOptions {
  const merged = { ...saved };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || k === 'out' || k === 'resume') continue;
    if ((RESUMABLE_OPTIONS as readonly string[]).includes(k)) (merged as Record<string, unknown>)[k] = v;
    else if (!sameJson(v, (saved as unknown as Record<string, unknown>)[k]))
      throw new Error(
        `--resume continues the run as it was started; ${k} was ${JSON.stringify((saved as unknown as Record<string, unknown>)[k])} and cannot change ` +
          `(only ${RESUMABLE_OPTIONS.join(', ')} can). Start a new run with another --out to change it.`,
      );
  }
  return merged;
}

const emptySums = (): EpochSums => ({ lossSum: 0, batches: 0, charsRight: 0, chars: 0, samples: 0, seconds: 0 });

function toTarget(y: Tensor, format: TargetFormat): Activity {
  return format === 'table' ? tf.unstack(y, 1) : y;
}

function disposeTarget(t: Activity, y: Tensor): void {
  if (Array.isArray(t)) for (const x of t) if (x !== y) (x as Tensor).dispose();
}

function better(v: EvalResult | null, trainLoss: number, best: BestRecord | null): boolean {
  if (!best) return true;
  if (!v) return best.loss === null || trainLoss < best.loss;
  if (v.captchaAccuracy !== best.captchaAccuracy) return v.captchaAccuracy > best.captchaAccuracy;
  if (v.charAccuracy !== best.charAccuracy) return v.charAccuracy > best.charAccuracy;
  return (v.loss ?? Infinity) < (best.loss ?? Infinity);
}

/**
 * Trains a captcha model; see the file comment for how resume stays exact.
 * Writes `out/checkpoint.safetensors` every epoch and when interrupted,
 * `out/best/` (saveModel), `out/metrics.jsonl` and `out/curves.png`.
 */
export async function train(options: (Partial<TrainOptions> & { out: string; resume?: boolean }) | ResumeOptions, cb: TrainCallbacks = {}): Promise<TrainResult> {
  const log = cb.log ?? (() => undefined);
  const out = resolve(options.out);
  const ckptPath = join(out, CHECKPOINT_FILE);
  const metricsPath = join(out, 'metrics.jsonl');
  let opts: TrainOptions;
  let resumeState: CheckpointState<TrainOptions> | null = null;
  if (options.resume) {
    if (!existsSync(ckptPath)) throw new Error(`--resume: no checkpoint in ${out} (expected ${CHECKPOINT_FILE})`);
    resumeState = await readCheckpointState<TrainOptions>(ckptPath);
    opts = resolveTrainOptions({ ...mergeResumeOptions(resumeState.options, options), out });
  } else {
    opts = resolveTrainOptions(options);
    if (existsSync(ckptPath))
      throw new Error(`${out} already holds a training run (${CHECKPOINT_FILE}): pass --resume to continue it, or choose another --out`);
  }

  const backend = opts.backend ? await setBackend(opts.backend) : await ready();
  const workers = trainingWorkers(opts.workers, opts.batchSize);
  if (workers.note) log(workers.note);
  const data = await openRunData(opts.data, opts.seed);
  const { encoder, maxLength, preprocessing: prep } = data;
  manualSeed(opts.seed);
  const built = await getModelBuilder(opts.model)({
    variant: opts.variant,
    numClasses: encoder.numClasses,
    length: maxLength,
    height: prep.height,
    width: prep.width,
    channels: prep.channels === 'gray' ? 1 : 3,
  });
  const { model, criterion, targetFormat } = built as { model: Module; criterion: Criterion; targetFormat: TargetFormat };
  const config: Record<string, number> = { learningRate: opts.lr };
  if (opts.optim === 'sgd') config.momentum = opts.momentum ?? 0.9;
  if (opts.weightDecay > 0) config.weightDecay = opts.weightDecay;
  const optimizer = new Optimizer(model, opts.optim, config);

  await mkdir(out, { recursive: true });
  let epoch = 0;
  let batchInEpoch = 0;
  let step = 0;
  let samples = 0;
  let sums = emptySums();
  let best: BestRecord | null = null;
  let secondsBefore = 0;
  let records: EpochRecord[] = [];
  const stepsPerEpoch = Math.ceil(data.trainSize / opts.batchSize);
  const totalSteps = stepsPerEpoch * opts.epochs;
  // The schedule's horizon: the steps planned when the run started (kept in the checkpoint).
  let scheduleSteps = totalSteps;
  if (resumeState) {
    const s = await loadCheckpoint<TrainOptions>(ckptPath, model, optimizer);
    ({ epoch, batchInEpoch, step, samples, best } = s);
    scheduleSteps = s.scheduleSteps ?? stepsPerEpoch * resumeState.options.epochs;
    sums = s.epochSums;
    secondsBefore = s.seconds;
    // Keep the metrics of the epochs the checkpoint covers (a crash may have left a later line).
    if (existsSync(metricsPath)) {
      const lines = (await readFile(metricsPath, 'utf8')).split('\n').filter(Boolean);
      records = lines.map((l) => JSON.parse(l) as EpochRecord).filter((r) => r.type === 'epoch' && r.epoch <= epoch);
      await writeFile(metricsPath, records.map((r) => JSON.stringify(r) + '\n').join(''));
    }
  } else {
    await rm(metricsPath, { force: true });
  }

  const startStep = step;
  let learningRate = learningRateAt(opts, Math.max(0, step - 1), scheduleSteps);
  cb.onStart?.({ options: opts, data, workers, backend, model, criterion, targetFormat, stepsPerEpoch, totalSteps, startStep, startEpoch: epoch, resumed: !!resumeState });
  const t0 = performance.now();
  const elapsed = () => secondsBefore + (performance.now() - t0) / 1000;

  const checkpoint = async (atEpoch = epoch) => {
    await saveCheckpoint(ckptPath, model, optimizer, { options: opts, epoch: atEpoch, batchInEpoch, step, samples, epochSums: sums, best, scheduleSteps, learningRate, seconds: elapsed() });
    cb.onCheckpoint?.(ckptPath, step);
  };
  const aborted = () => cb.signal?.aborted === true;
  const timeUp = () => opts.timeLimit > 0 && elapsed() >= opts.timeLimit * 60;
  let dp: DataParallelTable | null = null;
  let lastValidation: EvalResult | null = null;
  const result = (status: TrainResult['status']): TrainResult => ({ status, step, epochs: epoch, out, checkpoint: ckptPath, best, lastValidation });

  try {
    if (aborted()) {
      await checkpoint();
      return result('interrupted');
    }
    dp = await openDataParallel(model, workers, { imports: opts.imports, backend });
    for (; epoch < opts.epochs; epoch++) {
      let stoppedByTime = false;
      cb.onEpochStart?.(epoch + 1, opts.epochs, batchInEpoch, stepsPerEpoch);
      const source = data.trainSource(epoch);
      const order = permutation(source.size, createRng('shuffle', opts.seed, epoch));
      const from = batchInEpoch * opts.batchSize;
      if (from < source.size) {
        const part = subset(source, order.subarray(from));
        let tEpoch = performance.now();
        for await (const b of batches(part, { batchSize: opts.batchSize, shuffle: false, normalize: 'unit' })) {
          let loss: number;
          let right = 0;
          let chars = 0;
          const n = b.labels.length;
          const target = toTarget(b.y, targetFormat);
          learningRate = learningRateAt(opts, step, scheduleSteps);
          optimizer.config.learningRate = learningRate;
          try {
            model.training();
            manualSeed(`${opts.seed}:${step}`);
            model.zeroGradParameters();
            if (dp) {
              // Split over the replicas; fills the model's gradient buffers. No outputs: no training accuracy.
              loss = await dp.backward(criterion, b.x, target);
              optimizer.step(loss);
            } else {
              const output = model.forward(b.x);
              loss = criterion.forward(output, target);
              model.backward(b.x, criterion.backward(output, target));
              optimizer.step(loss);
              const d = decodeOutput(output, targetFormat);
              const y = b.y.dataSync();
              for (let i = 0; i < y.length; i++) {
                if (y[i] === encoder.blank) continue;
                chars++;
                if (d.classes[i] === y[i]) right++;
              }
            }
          } finally {
            disposeTarget(target, b.y);
            b.dispose();
          }
          if (!Number.isFinite(loss)) throw new Error(`the loss is ${loss} at step ${step + 1}: lower the learning rate (--lr)`);
          step++;
          batchInEpoch++;
          samples += n;
          const now = performance.now();
          sums.seconds += (now - tEpoch) / 1000;
          tEpoch = now;
          sums.lossSum += loss;
          sums.batches++;
          sums.charsRight += right;
          sums.chars += chars;
          sums.samples += n;
          const sps = sums.seconds > 0 ? sums.samples / sums.seconds : 0;
          const perStep = sums.batches > 0 ? sums.seconds / sums.batches : 0;
          cb.onStep?.({
            epoch: epoch + 1,
            epochs: opts.epochs,
            batch: batchInEpoch,
            stepsPerEpoch,
            step,
            totalSteps,
            loss,
            accuracy: dp ? null : chars ? right / chars : 0,
            epochLoss: sums.lossSum / sums.batches,
            epochAccuracy: dp ? null : sums.chars ? sums.charsRight / sums.chars : 0,
            learningRate,
            samplesPerSecond: sps,
            eta: perStep * (totalSteps - step),
          });
          // Let signal handlers and timers run: prefetched batches resolve without a macrotask turn.
          await new Promise<void>((r) => setImmediate(r));
          if (aborted()) {
            await checkpoint();
            return result('interrupted');
          }
          if (timeUp()) {
            stoppedByTime = true;
            break;
          }
        }
        if (!stoppedByTime) batchInEpoch = stepsPerEpoch;
      }
      // A time limit mid-epoch: validate and save now, keep the position and the epoch's sums for --resume.
      const partial = batchInEpoch < stepsPerEpoch;

      // Validation, metrics, best model, checkpoint.
      let val: EvalResult | null = null;
      if (data.validation) {
        val = await evaluateModel(model, data.validation, {
          batchSize: opts.batchSize,
          encoder,
          format: targetFormat,
          loss: (o, y) => {
            const t = toTarget(y, targetFormat);
            try {
              return criterion.forward(o, t);
            } finally {
              disposeTarget(t, y);
            }
          },
          shouldStop: aborted,
          onBatch: cb.onValidation,
        });
        if (val === null) {
          await checkpoint();
          return result('interrupted');
        }
        lastValidation = val;
      }
      const trainLoss = sums.batches ? sums.lossSum / sums.batches : NaN;
      const record: EpochRecord = {
        type: 'epoch',
        epoch: epoch + 1,
        step,
        samples,
        trainLoss,
        trainCharAccuracy: sums.chars ? sums.charsRight / sums.chars : null,
        valLoss: val?.loss ?? null,
        valCharAccuracy: val?.charAccuracy ?? null,
        valCaptchaAccuracy: val?.captchaAccuracy ?? null,
        seconds: sums.seconds,
        samplesPerSecond: sums.seconds > 0 ? sums.samples / sums.seconds : 0,
        learningRate,
        ...(partial ? { partial: true } : {}),
        time: new Date().toISOString(),
      };
      const isBest = better(val, trainLoss, best);
      if (isBest) {
        best = {
          epoch: epoch + 1,
          step,
          captchaAccuracy: val?.captchaAccuracy ?? 0,
          charAccuracy: val?.charAccuracy ?? 0,
          loss: val ? (val.loss ?? null) : trainLoss,
        };
        const meta: CaptchaModelMetadata = {
          kind: 'captcha-nn-captcha-model',
          version: 1,
          model: { name: opts.model, variant: opts.variant },
          charset: encoder.charset,
          blank: 'last',
          length: maxLength,
          targetFormat,
          input: { height: prep.height, width: prep.width, channels: prep.channels === 'gray' ? 1 : 3 },
          preprocessing: prep,
          training: {
            epoch: epoch + 1,
            step,
            validation: val ? { captchaAccuracy: val.captchaAccuracy, charAccuracy: val.charAccuracy, loss: val.loss ?? null } : null,
            data: data.description,
            seed: opts.seed,
            savedAt: record.time,
          },
        };
        await saveCaptchaModel(join(out, 'best'), model, meta);
      }
      records.push(record);
      await appendFile(metricsPath, JSON.stringify(record) + '\n');
      await writeCurves(join(out, 'curves.png'), records, basename(out));
      cb.onEpochEnd?.(record, val, isBest);
      if (partial) {
        await checkpoint();
        return result('time-limit');
      }
      batchInEpoch = 0;
      sums = emptySums();
      await checkpoint(epoch + 1);
      if (aborted() || stoppedByTime) {
        epoch++;
        return result(stoppedByTime && epoch < opts.epochs ? 'time-limit' : aborted() ? 'interrupted' : 'completed');
      }
    }
    return result('completed');
  } finally {
    await dp?.dispose();
    optimizer.dispose();
    for (const [, v] of Object.entries(optimizer.state)) if (Array.isArray(v)) for (const t of v) if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
    model.dispose();
    criterion.dispose();
  }
}
