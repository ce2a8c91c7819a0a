/**
 * Opening a training run: its options (new, or read back from the
 * checkpoint for `resume`), its data, model, task and optimizer, and where
 * it stands. Everything random is a pure function of the seed and the
 * position (see trainer.ts), so a resumed run only needs the checkpoint.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Optimizer, manualSeed, ready, setBackend, type DataParallelTable, type Module } from '@captcha-nn/core';
import { CHECKPOINT_FILE, loadCheckpoint, readCheckpointState, type BestRecord, type CheckpointState, type EpochSums } from './checkpoint';
import { RunClock } from './clock';
import { ExponentialMovingAverage } from './ema';
import type { EpochRecord } from './curves';
import { openRunData, type RunData } from './data';
import type { EvalResult } from './metrics';
import { mergeResumeOptions, resolveTrainOptions, type TrainOptions } from './options';
import { fineTuneDefaults } from './fineTuneDefaults';
import { applyInitDefaults, startFromInit, TrainableParameters } from './init';
import { getModelBuilder } from './registry';
import { labelSmoothedTask, type Task } from './task';
import { trainingWorkers, type WorkerPlan } from './workers';
import { epochLength } from './epoch';
import { pseudoLabeller } from './pseudoLabels';

export interface RunPaths {
  out: string;
  checkpoint: string;
  metrics: string;
  curves: string;
  best: string;
}

/** A run in progress: what it trains and where it stands. The trainer's parts read and advance it. */
export interface Run {
  options: TrainOptions;
  paths: RunPaths;
  backend: string;
  data: RunData;
  model: Module;
  task: Task;
  /** What the optimizer steps: the model's parameters, less a frozen trunk. */
  trainable: TrainableParameters;
  optimizer: Optimizer;
  /** The weights' moving average, which validation and best/ use (`options.ema`; null: none). */
  ema: ExponentialMovingAverage | null;
  workers: WorkerPlan;
  /** The data-parallel table, once opened (null: one worker). */
  dp: DataParallelTable | null;
  stepsPerEpoch: number;
  totalSteps: number;
  /** The schedule's horizon in steps, fixed when the run started. */
  scheduleSteps: number;
  resumed: boolean;
  startStep: number;
  /** The run's time, resumed sessions and reading the unlabelled images included: what `timeLimit` bounds. */
  clock: RunClock;
  /** Seconds the `--init` model took to read the unlabelled images before the first step (0: none). */
  labellingSeconds: number;
  /** The epoch in progress (0-based). */
  epoch: number;
  /** Items of the epoch's order consumed (see CheckpointState.position). */
  position: number;
  step: number;
  samples: number;
  sums: EpochSums;
  best: BestRecord | null;
  records: EpochRecord[];
  learningRate: number;
  lastValidation: EvalResult | null;
}

export type OpenOptions = Partial<TrainOptions> & { out: string; resume?: boolean };

export const emptySums = (): EpochSums => ({ lossSum: 0, batches: 0, charsRight: 0, chars: 0, samples: 0, seconds: 0 });

export function runPaths(out: string): RunPaths {
  return { out, checkpoint: join(out, CHECKPOINT_FILE), metrics: join(out, 'metrics.jsonl'), curves: join(out, 'curves.png'), best: join(out, 'best') };
}

/** Imports the modules that register models or module classes (relative paths are from the working directory). */
export async function importModules(specifiers: string[] = []): Promise<void> {
  for (const s of specifiers) {
    const url = isAbsolute(s) || /^\.{1,2}[/\\]/.test(s) ? pathToFileURL(resolve(s)).href : s;
    try {
      await import(url);
    } catch (e) {
      throw new Error(`cannot import ${s}: ${(e as Error).message}`);
    }
  }
}

/** Removes temporary files an earlier, killed session left (atomic writes that never reached their rename). */
export async function removeStaleTemporaries(paths: RunPaths): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of [paths.out, paths.best]) {
    if (!existsSync(dir)) continue;
    for (const f of await readdir(dir)) {
      if (!f.endsWith('.tmp')) continue;
      await rm(join(dir, f), { force: true });
      removed.push(join(dir, f));
    }
  }
  return removed;
}

/**
 * The epoch records a checkpoint covers. A torn last line (a power loss
 * mid-append) is dropped, as is any line for an epoch after the checkpoint.
 */
export async function readEpochRecords(path: string, throughEpoch: number): Promise<EpochRecord[]> {
  if (!existsSync(path)) return [];
  const lines = (await readFile(path, 'utf8')).split('\n');
  const records: EpochRecord[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let r: EpochRecord;
    try {
      r = JSON.parse(line) as EpochRecord;
    } catch {
      if (i === lines.length - 1 || lines.slice(i + 1).every((l) => !l.trim())) return;
      throw new Error(`${path}: line ${i + 1} is not JSON (only a torn last line is dropped); fix or remove the file to resume`);
    }
    if (r.type === 'epoch' && r.epoch <= throughEpoch) records.push(r);
  });
  return records;
}

/** Opens a new run, or (`resume`) the one in `options.out` where its checkpoint left it. */
export async function openRun(options: OpenOptions, cb: { log?(message: string): void; clock?: () => number } = {}): Promise<Run> {
  const paths = runPaths(resolve(options.out));
  let saved: CheckpointState<TrainOptions> | null = null;
  let opts: TrainOptions;
  if (options.resume) {
    if (!existsSync(paths.checkpoint)) throw new Error(`--resume: no checkpoint in ${paths.out} (expected ${CHECKPOINT_FILE})`);
    saved = await readCheckpointState<TrainOptions>(paths.checkpoint);
    opts = resolveTrainOptions({ ...mergeResumeOptions(saved.options, options), out: paths.out });
  } else {
    const fineTune = await fineTuneDefaults(await applyInitDefaults(options));
    if (fineTune.chosen.length) cb.log?.(`a fine-tune on a folder: ${fineTune.chosen.join(' ')} (the defaults for one; docs/data.md)`);
    opts = resolveTrainOptions(fineTune.options);
    if (existsSync(paths.checkpoint))
      throw new Error(`${paths.out} already holds a training run (${CHECKPOINT_FILE}): pass --resume to continue it, or choose another --out`);
  }

  await importModules(opts.imports);
  const backend = opts.backend ? await setBackend(opts.backend) : await ready();
  const workers = trainingWorkers(opts.workers, opts.batchSize);
  if (workers.note) cb.log?.(workers.note);
  const labeller =
    opts.init !== undefined
      ? pseudoLabeller(opts.init, paths.out, { resumed: saved !== null, workers, setup: { imports: opts.imports ?? [], backend }, clock: cb.clock })
      : undefined;
  const data = await openRunData(opts.data, opts.seed, labeller);
  manualSeed(opts.seed);
  const { model, task: builtTask } = await getModelBuilder(opts.model)({
    variant: opts.variant,
    numClasses: data.encoder.numClasses,
    length: data.maxLength,
    height: data.preprocessing.height,
    width: data.preprocessing.width,
    channels: data.preprocessing.channels === 'gray' ? 1 : 3,
    ...(opts.modelOptions ? { settings: opts.modelOptions } : {}),
  });
  const task = labelSmoothedTask(builtTask, opts.labelSmoothing ?? 0);
  checkLabels(task, data);
  const trainable = new TrainableParameters(model);
  if (opts.init !== undefined && !saved) await startFromInit(model, trainable, opts, data.encoder.charset, data.maxLength, data.preprocessing, cb.log);
  if (saved?.frozenKeys) trainable.freeze(saved.frozenKeys);
  const optimizer = new Optimizer(trainable, opts.optim, optimizerConfig(opts));

  await mkdir(paths.out, { recursive: true });
  for (const f of await removeStaleTemporaries(paths)) cb.log?.(`removed ${f}, left by an interrupted write`);
  const used = epochLength(data.trainSize, opts.batchSize);
  if (used < data.trainSize)
    cb.log?.(
      `each epoch leaves out the last image of its shuffled order: ${data.trainSize} images at batch ${opts.batchSize} would end in a batch of one, which batch norm cannot train on`,
    );
  const stepsPerEpoch = Math.ceil(used / opts.batchSize);
  const run: Run = {
    options: opts,
    paths,
    backend,
    data,
    model,
    task,
    trainable,
    optimizer,
    ema: opts.ema ? new ExponentialMovingAverage(opts.ema, model) : null,
    workers,
    dp: null,
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * opts.epochs,
    scheduleSteps: stepsPerEpoch * opts.epochs,
    resumed: saved !== null,
    startStep: 0,
    // Reading the unlabelled images is the first part of a self-training run, so the time limit counts it.
    clock: new RunClock(cb.clock, data.pseudoLabellingSeconds ?? 0),
    labellingSeconds: data.pseudoLabellingSeconds ?? 0,
    epoch: 0,
    position: 0,
    step: 0,
    samples: 0,
    sums: emptySums(),
    best: null,
    records: [],
    learningRate: opts.lr,
    lastValidation: null,
  };
  if (saved) await restore(run, saved, cb.clock);
  else await rm(paths.metrics, { force: true });
  return run;
}

/** The optimizer's settings from the run's options (momentum and its terms for sgd only). */
function optimizerConfig(opts: TrainOptions): Record<string, number | boolean> {
  const config: Record<string, number | boolean> = { learningRate: opts.lr };
  if (opts.optim === 'sgd') config.momentum = opts.momentum ?? 0.9;
  if (opts.dampening !== undefined) config.dampening = opts.dampening;
  if (opts.nesterov) config.nesterov = true;
  if (opts.weightDecay > 0) config.weightDecay = opts.weightDecay;
  return config;
}

/** Before any training: every label must be one the model can learn (CTC: one that fits its time steps); the error names the first that is not. */
function checkLabels(task: Task, data: RunData): void {
  if (!task.labelProblem) return;
  for (const { label, where } of data.labelsToCheck()) {
    const problem = task.labelProblem(label);
    if (problem) throw new Error(`${where}: ${problem}`);
  }
}

/** A resumed run must read the folder it started on: its files, sizes and labels file, by fingerprint. */
function checkSameData(run: Run, saved: CheckpointState<TrainOptions>): void {
  const was = saved.dataFingerprint;
  const now = run.data.fingerprint;
  if (!was || !now || was.hash === now.hash) return;
  const dir = run.options.data.kind === 'folder' ? run.options.data.dir : 'the data';
  throw new Error(
    `--resume: ${dir} changed since the run started (${was.files} files, ${was.bytes} bytes then; ${now.files} files, ${now.bytes} bytes now), ` +
      'so the run cannot continue exactly. Restore the folder, or start a new run with another --out.',
  );
}

/** Puts a run where its checkpoint left it: weights, optimizer, counters, data position, metrics. */
async function restore(run: Run, saved: CheckpointState<TrainOptions>, clock?: () => number): Promise<void> {
  checkSameData(run, saved);
  const s = await loadCheckpoint<TrainOptions>(run.paths.checkpoint, run.model, run.optimizer, run.ema);
  run.epoch = s.epoch;
  run.position = s.position ?? (s.batchInEpoch ?? 0) * saved.options.batchSize;
  run.step = run.startStep = s.step;
  run.samples = s.samples;
  run.best = s.best;
  run.sums = s.epochSums;
  run.scheduleSteps = s.scheduleSteps ?? run.stepsPerEpoch * saved.options.epochs;
  run.learningRate = s.learningRate ?? run.options.lr;
  run.clock = new RunClock(clock, s.seconds);
  run.labellingSeconds = s.labellingSeconds ?? 0;
  // Keep the metrics of the epochs the checkpoint covers (a crash may have left a later or torn line).
  run.records = await readEpochRecords(run.paths.metrics, s.epoch);
  await writeFile(run.paths.metrics, run.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
