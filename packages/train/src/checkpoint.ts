/**
 * Training checkpoints: one safetensors file (written atomically by the
 * core's saveSafetensors) holding the model's state dict under `model/…`,
 * the optimizer's buffers under `optim/<key>/<i>`, the weights' moving
 * average (when the run keeps one) under `ema/…`, and in its metadata the
 * counters, data position and options needed to continue exactly.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FolderFingerprint } from '@captcha-nn/data';
import { loadSafetensors, saveSafetensors, tf, type Module, type Optimizer, type Tensor, type Variable } from '@captcha-nn/core';
import type { ExponentialMovingAverage } from './ema';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const META_KEY = 'captcha-nn.checkpoint';

/** Running sums of the epoch in progress, so a resumed epoch reports the same numbers. */
export interface EpochSums {
  lossSum: number;
  batches: number;
  charsRight: number;
  chars: number;
  samples: number;
  seconds: number;
}

export interface BestRecord {
  epoch: number;
  step: number;
  captchaAccuracy: number;
  charAccuracy: number;
  loss: number | null;
  /** false when the run has no validation set: the best is the lowest training loss (absent in older checkpoints: true). */
  validated?: boolean;
}

export interface CheckpointState<O = unknown> {
  format: 'captcha-nn-checkpoint';
  version: 1;
  /** The run's options (the resumed run uses them). */
  options: O;
  /** The epoch in progress (0-based). */
  epoch: number;
  /**
   * Items of `epoch`'s sample order already consumed, unreadable ones
   * included (a batch's `end`). The order is a pure function of (seed,
   * epoch), so a resumed run starts its next batch there. Equal to the
   * epoch's size when training finished but the epoch's validation did not.
   */
  position: number;
  /** Checkpoints written before `position` kept batches instead (exact only for folders without unreadable files). */
  batchInEpoch?: number;
  /** The training folder's fingerprint when the run started (folder data only): resume checks it. */
  dataFingerprint?: FolderFingerprint;
  /** Optimizer steps so far. The core RNG (dropout) is reseeded from (seed, step) before each step. */
  step: number;
  samples: number;
  epochSums: EpochSums;
  best: BestRecord | null;
  /**
   * The learning-rate schedule's horizon: the steps the run planned when it
   * started. Fixed for the run, so a resumed run follows the same schedule
   * even with another `--epochs`.
   */
  scheduleSteps?: number;
  /** The learning rate of the last step taken (the schedule's). */
  learningRate?: number;
  /** Fine-tuning with a frozen trunk: the state-dict keys the optimizer does not step yet (its buffers cover the others). */
  frozenKeys?: string[];
  /** The optimizer state's numbers (e.g. Adam's `t`); its tensors are in the file. */
  optimScalars: Record<string, number>;
  /** Wall-clock seconds trained so far, `labellingSeconds` included. */
  seconds: number;
  /** Seconds the `--init` model took to read the unlabelled images before the first step (absent: none). */
  labellingSeconds?: number;
  savedAt: string;
}

/** Writes the checkpoint atomically (temporary file + rename). */
export async function saveCheckpoint(
  path: string,
  model: Module,
  optimizer: Optimizer,
  state: Omit<CheckpointState, 'format' | 'version' | 'optimScalars' | 'savedAt'>,
  ema?: ExponentialMovingAverage | null,
): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  const sd = model.stateDict();
  for (const [k, t] of Object.entries(sd)) tensors[`model/${k}`] = t;
  for (const [k, t] of Object.entries(ema?.state() ?? {})) tensors[`ema/${k}`] = t;
  const optimScalars: Record<string, number> = {};
  for (const [k, v] of Object.entries(optimizer.state)) {
    if (typeof v === 'number') optimScalars[k] = v;
    else if (Array.isArray(v) && v.every((t) => t instanceof tf.Tensor)) (v as Tensor[]).forEach((t, i) => (tensors[`optim/${k}/${i}`] = t));
    else if (v instanceof tf.Tensor) tensors[`optim/${k}`] = v;
  }
  const full: CheckpointState = { format: 'captcha-nn-checkpoint', version: 1, ...state, optimScalars, savedAt: new Date().toISOString() };
  try {
    await saveSafetensors(path, tensors, { [META_KEY]: JSON.stringify(full) });
  } finally {
    for (const t of Object.values(sd)) t.dispose();
  }
}

/** Reads a checkpoint's state from the file's header only (no tensors, no backend needed). */
export async function readCheckpointState<O>(path: string): Promise<CheckpointState<O>> {
  const fh = await open(path, 'r');
  try {
    const len = Buffer.alloc(8);
    await fh.read(len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const { size } = await fh.stat();
    if (size < 8 || n > size - 8) throw new Error(`${path} is not a safetensors file`);
    const header = Buffer.alloc(n);
    await fh.read(header, 0, n, 8);
    let parsed: { __metadata__?: Record<string, string> };
    try {
      parsed = JSON.parse(header.toString('utf8')) as typeof parsed;
    } catch {
      throw new Error(`${path}: the safetensors header is not JSON`);
    }
    return parseState<O>(parsed.__metadata__ ?? {}, path);
  } finally {
    await fh.close();
  }
}

function parseState<O>(metadata: Record<string, string>, path: string): CheckpointState<O> {
  const raw = metadata[META_KEY];
  if (!raw) throw new Error(`${path} is not a captcha-nn checkpoint (no '${META_KEY}' metadata)`);
  let s: CheckpointState<O>;
  try {
    s = JSON.parse(raw) as CheckpointState<O>;
  } catch (e) {
    throw new Error(`${path}: the checkpoint's '${META_KEY}' metadata is not valid JSON (${(e as Error).message})`);
  }
  if (s === null || typeof s !== 'object') throw new Error(`${path}: the checkpoint's '${META_KEY}' metadata is not an object`);
  if (s.format !== 'captcha-nn-checkpoint' || s.version !== 1) throw new Error(`${path}: unsupported checkpoint format ${s.format} v${s.version}`);
  return s;
}

/**
 * Loads weights into `model`, buffers and counters into `optimizer.state`
 * (replacing what it held) and the weights' average into `ema`, and returns
 * the state.
 */
export async function loadCheckpoint<O>(path: string, model: Module, optimizer: Optimizer, ema?: ExponentialMovingAverage | null): Promise<CheckpointState<O>> {
  if (!existsSync(path)) throw new Error(`no checkpoint at ${path}`);
  const { tensors, metadata } = (await loadSafetensors(path)) as { tensors: Record<string, Tensor>; metadata: Record<string, string> };
  try {
    const state = parseState<O>(metadata, path);
    const sd: Record<string, Tensor> = {};
    const averaged: Record<string, Tensor> = {};
    const optim = new Map<string, Array<{ i: number; t: Tensor }>>();
    for (const [k, t] of Object.entries(tensors)) {
      if (k.startsWith('model/')) sd[k.slice(6)] = t;
      else if (k.startsWith('ema/')) averaged[k.slice(4)] = t;
      else if (k.startsWith('optim/')) {
        const m = /^optim\/(.+)\/(\d+)$/.exec(k);
        if (!m) continue;
        const list = optim.get(m[1]!) ?? [];
        list.push({ i: Number(m[2]), t });
        optim.set(m[1]!, list);
      }
    }
    if (ema && Object.keys(averaged).length === 0) throw new Error(`${path} holds no moving average of the weights (ema/…), which this run keeps`);
    model.loadStateDict(sd);
    ema?.load(averaged);
    optimizer.dispose();
    for (const k of Object.keys(optimizer.state)) delete optimizer.state[k];
    for (const [k, v] of Object.entries(state.optimScalars)) optimizer.state[k] = v;
    for (const [k, list] of optim) {
      list.sort((a, b) => a.i - b.i);
      optimizer.state[k] = list.map(({ t }) => tf.variable(t, false) as Variable);
    }
    return state;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}
