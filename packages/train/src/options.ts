/** The options that define a training run, their defaults and their checks. */
import { resolve } from 'node:path';
import { SCHEDULES, checkSchedule, methods, type OptimName, type Schedule, type ScheduleName } from '@captcha-nn/core';
import { dataSpecWithAbsolutePaths, type DataSpec } from './data';
import type { ModelSettings, Variant } from './registry';

export const OPTIMIZERS = Object.keys(methods) as OptimName[];
export { SCHEDULES };

/** Everything that defines a run. Saved in the checkpoint; `--resume` reads it back. */
export interface TrainOptions {
  /** Registry name: cnn, crnn, tiny, or one added with registerModel. */
  model: string;
  variant: Variant;
  /** The model's own settings, passed to its builder (e.g. resnet's depth, shortcut and head). */
  modelOptions?: ModelSettings;
  data: DataSpec;
  epochs: number;
  batchSize: number;
  /** Learning rate (the optimizer's learningRate; a schedule's peak). */
  lr: number;
  optim: OptimName;
  /** SGD momentum (default 0.9 for sgd). */
  momentum?: number;
  /**
   * SGD dampening (default: the momentum, as Torch's optim.sgd). Then the steady step is lr·g; with 0
   * (PyTorch's default, and fb.resnet.torch's) it is lr·g/(1 − momentum), ten times larger at 0.9.
   */
  dampening?: number;
  /** SGD Nesterov momentum (needs dampening 0). */
  nesterov?: boolean;
  /** L2 weight decay added to the gradients (the optimizer's weightDecay; default 0). */
  weightDecay: number;
  /**
   * Label smoothing ε (PyTorch's `CrossEntropyLoss(label_smoothing=ε)`): the training target is (1 − ε)·one-hot + ε/C.
   * Classification and fixed-length text models; default 0. Validation losses include the term too.
   */
  labelSmoothing?: number;
  /**
   * The learning-rate schedule (core's `scheduledRate`), set before every
   * step from the run's progress: the fraction of the planned steps, or,
   * with `timeLimit`, of the time budget where that is further along.
   */
  schedule: ScheduleName;
  /**
   * Stop after the step during which the run's training time (resumed
   * sessions included, and the `--init` model's reading of `unlabelled`
   * images) reaches this many minutes, then validate, save the best model
   * and a checkpoint. The schedule anneals over it, less that reading.
   * 0: no limit.
   */
  timeLimit: number;
  /**
   * Validate every this many epochs (default 1). The last epoch, and the one a time limit or an interrupt ends,
   * are always validated; only validated epochs compete for best/. Validating costs time that a time limit counts.
   */
  valEvery?: number;
  /** tfjs backend (default: CAPTCHA_NN_BACKEND, else wasm). */
  backend?: string;
  /** Data-parallel replicas (DataParallelTable): 1 (default) trains in this thread only. */
  workers: number;
  /**
   * Module specifiers imported before the model is built, and by each
   * data-parallel worker before it builds its replica: packages that
   * register models (`registerModel`) or module classes (`registerModule`).
   */
  imports?: string[];
  seed: string;
  /**
   * Fine-tune: a trained model folder (or run folder) whose weights start the run. Its model, variant and
   * settings are the run's; entries whose shape differs (the output layer, for another charset or length) start
   * fresh. The data default to its input size and channels.
   */
  init?: string;
  /**
   * Validate and save an exponential moving average of the weights with this decay (e.g. 0.999; see ema.ts)
   * instead of the weights the optimizer steps. Absent or 0: none.
   */
  ema?: number;
  /** With `init`: for this many first epochs the trunk (every copied parameter but the output layer's) is not updated. */
  freezeTrunk?: number;
  /** The run folder: checkpoint, best/, metrics.jsonl, curves.png. */
  out: string;
}

/** Options a resumed run may change; the others must match the checkpoint. */
export const RESUMABLE_OPTIONS = ['epochs', 'backend', 'workers', 'timeLimit', 'valEvery', 'imports'] as const;

export const DEFAULTS = {
  variant: 'compact',
  epochs: 10,
  batchSize: 32,
  optim: 'adam',
  weightDecay: 0,
  schedule: 'constant',
  timeLimit: 0,
  workers: 1,
  seed: '1',
} as const;

/** The default learning rate of each optimizer. */
export function defaultLearningRate(optim: OptimName): number {
  return optim === 'sgd' ? 0.05 : optim === 'adadelta' ? 1 : 1e-3;
}

/** The run's schedule in core's terms. */
export function scheduleOf(o: Pick<TrainOptions, 'lr' | 'schedule'>): Schedule {
  return { name: o.schedule, lr: o.lr };
}

/** Fills defaults and checks values; errors are messages for the user. */
export function resolveTrainOptions(o: Partial<TrainOptions> & { out: string }): TrainOptions {
  const r = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  } as TrainOptions & { resume?: boolean };
  delete r.resume;
  // Checkpoints written before schedules were named kept 'none'.
  if ((r.schedule as string) === 'none') r.schedule = 'constant';
  if (!r.model) throw new Error('no model: pass --model (cnn, crnn, tiny, …)');
  if (!r.data) throw new Error('no training data: pass --data DIR or --generate simple|svg|mix');
  if (r.lr === undefined) r.lr = defaultLearningRate(r.optim);
  if (r.optim === 'sgd' && r.momentum === undefined) r.momentum = 0.9;
  const sgdOnly = (['momentum', 'dampening', 'nesterov'] as const).filter((k) => r[k] !== undefined);
  if (r.optim !== 'sgd' && sgdOnly.length)
    throw new Error(`${sgdOnly.map((k) => `--${k}`).join(', ')} appl${sgdOnly.length > 1 ? 'y' : 'ies'} to --optim sgd only, not ${r.optim}`);
  if (r.dampening !== undefined && !(r.dampening >= 0 && r.dampening < 1)) throw new Error(`--dampening must be in [0, 1), got ${r.dampening}`);
  if (r.nesterov && !(r.momentum! > 0 && r.dampening === 0))
    throw new Error(`--nesterov needs a momentum > 0 and --dampening 0 (got momentum ${r.momentum}, dampening ${r.dampening ?? 'unset: the momentum'})`);
  if (!OPTIMIZERS.includes(r.optim)) throw new Error(`unknown optimizer '${r.optim}' (known: ${OPTIMIZERS.join(', ')})`);
  for (const k of ['epochs', 'batchSize', 'workers'] as const)
    if (!Number.isInteger(r[k]) || r[k] < 1) throw new Error(`${k} must be a positive integer, got ${r[k]}`);
  if (r.valEvery !== undefined && !(Number.isInteger(r.valEvery) && r.valEvery >= 1))
    throw new Error(`--val-every must be a whole number of epochs >= 1, got ${r.valEvery}`);
  if (!(r.weightDecay >= 0) || !Number.isFinite(r.weightDecay)) throw new Error(`the weight decay must be a number >= 0, got ${r.weightDecay}`);
  if (r.labelSmoothing !== undefined && !(r.labelSmoothing >= 0 && r.labelSmoothing <= 1))
    throw new Error(`--label-smoothing must be in [0, 1], got ${r.labelSmoothing}`);
  if (r.ema !== undefined && !(r.ema >= 0 && r.ema < 1)) throw new Error(`--ema must be a decay in [0, 1) (0: none), got ${r.ema}`);
  if (r.ema === 0) delete r.ema;
  if (!(r.timeLimit >= 0) || !Number.isFinite(r.timeLimit)) throw new Error(`the time limit must be a number of minutes >= 0, got ${r.timeLimit}`);
  if (!(SCHEDULES as readonly string[]).includes(r.schedule)) throw new Error(`unknown schedule '${r.schedule}' (known: ${SCHEDULES.join(', ')})`);
  checkSchedule(scheduleOf(r));
  if (r.freezeTrunk !== undefined && (!Number.isInteger(r.freezeTrunk) || r.freezeTrunk < 0))
    throw new Error(`--freeze-trunk must be a whole number of epochs >= 0, got ${r.freezeTrunk}`);
  const unlabelled = r.data.kind === 'folder' ? r.data.unlabelled : undefined;
  if (unlabelled && r.init === undefined)
    throw new Error(`--unlabelled ${unlabelled.dir} needs --init MODEL: the model whose confident readings label those images`);
  if (unlabelled && !(unlabelled.minConfidence >= 0 && unlabelled.minConfidence <= 1))
    throw new Error(`--min-confidence must be in [0, 1], got ${unlabelled.minConfidence}`);
  if (r.freezeTrunk && r.init === undefined) throw new Error('--freeze-trunk needs --init MODEL_DIR: only copied weights can be frozen');
  if (r.modelOptions !== undefined && !isModelSettings(r.modelOptions))
    throw new Error(`model options must be an object of strings, numbers and booleans, got ${JSON.stringify(r.modelOptions)}`);
  if (r.imports !== undefined && (!Array.isArray(r.imports) || r.imports.some((m) => typeof m !== 'string')))
    throw new Error('imports must be a list of module specifiers');
  // Relative paths: from here, so that a resumed run in another folder finds the same ones.
  if (r.imports) r.imports = r.imports.map((m) => (/^\.{1,2}[/\\]/.test(m) ? resolve(m) : m));
  r.data = dataSpecWithAbsolutePaths(r.data);
  r.seed = String(r.seed);
  r.out = resolve(r.out);
  return r;
}

function isModelSettings(v: unknown): v is ModelSettings {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x)))
  );
}

/** The checkpoint's options with a resumed run's changes; anything else that differs is an error. */
export function mergeResumeOptions(saved: TrainOptions, given: Partial<TrainOptions>): TrainOptions {
  const merged = { ...saved };
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined || k === 'out' || k === 'resume') continue;
    const before = (saved as unknown as Record<string, unknown>)[k];
    if ((RESUMABLE_OPTIONS as readonly string[]).includes(k)) (merged as Record<string, unknown>)[k] = v;
    else if (JSON.stringify(v) !== JSON.stringify(before))
      throw new Error(
        `--resume continues the run as it was started; ${k} was ${JSON.stringify(before)} and cannot change ` +
          `(only ${RESUMABLE_OPTIONS.join(', ')} can). Start a new run with another --out to change it.`,
      );
  }
  return merged;
}
