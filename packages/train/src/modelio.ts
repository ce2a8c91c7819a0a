/**
 * Self-describing model folders (`runs/NAME/best/`): the core's saveModel
 * writes the architecture spec and weights; we add, as metadata, what it
 * takes to use the model on images (charset, input size, preprocessing,
 * output format).
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { foldBatchNorm, loadModel, saveModel, tf, type Module, type Tensor } from '@captcha-nn/core';
import { LabelEncoder } from '@captcha-nn/data';
import type { Preprocessing } from './data';
import type { Task, TaskSpec } from './task';
import { taskFromSpec } from './taskFromSpec';

export interface CaptchaModelMetadata {
  kind: 'captcha-nn-captcha-model';
  version: 1;
  /** Registry name, variant and settings the model was built with. */
  model: { name: string; variant: string; options?: Record<string, string | number | boolean> };
  /** Characters are classes 0..n-1 in this order; the blank is class n. */
  charset: string;
  blank: 'last';
  /** Characters the model reads (shorter labels are padded with the blank). */
  length: number;
  /** What the model outputs and how it is decoded. */
  task: TaskSpec;
  /** Folders saved before tasks existed have only this (a text task's format). */
  targetFormat?: 'tensor' | 'table';
  /** Input: NHWC, height × width × channels, from these steps. */
  input: { height: number; width: number; channels: number };
  preprocessing: Preprocessing;
  /** Where and how it was trained. */
  training: {
    epoch: number;
    step: number;
    validation: { captchaAccuracy: number; charAccuracy: number; loss: number | null } | null;
    data: string;
    seed: string;
    savedAt: string;
  };
}

/** Saves a trained model with its metadata (atomically, via the core's saveModel). */
export async function saveCaptchaModel(dir: string, model: Module, metadata: CaptchaModelMetadata): Promise<void> {
  // The criterion is left out on purpose: a custom one (registerModel) would make model.json unloadable.
  await saveModel(dir, model, { metadata: metadata as unknown as Record<string, unknown> });
}

/**
 * The model folder for `--model PATH`: PATH itself when it holds model.json,
 * else PATH/best (a training run's folder). Errors say what is missing.
 */
export function resolveModelDir(path: string, flag = '--model'): string {
  const p = resolve(path);
  if (!existsSync(p)) throw new Error(`${flag} ${path}: no such file or folder`);
  if (!statSync(p).isDirectory()) throw new Error(`${flag} ${path}: not a folder (expected a model folder holding model.json, or a run folder runs/NAME)`);
  if (existsSync(join(p, 'model.json'))) return p;
  if (existsSync(join(p, 'best', 'model.json'))) return join(p, 'best');
  const hint = existsSync(join(p, 'checkpoint.safetensors'))
    ? ' (the run has a checkpoint but no best model yet: it is saved after the first epoch with validation)'
    : '';
  throw new Error(`${flag} ${path}: no model.json in ${p} or ${join(p, 'best')}${hint}`);
}

export interface LoadedCaptchaModel {
  model: Module;
  metadata: CaptchaModelMetadata;
  encoder: LabelEncoder;
  /** Decodes the model's outputs (its criterion is unused here). */
  task: Task;
  dir: string;
}

export interface LoadCaptchaModelOptions {
  /**
   * For reading only: fold each BatchNormalization into the convolution or
   * Linear before it (core's foldBatchNorm). The same readings, fewer kernels
   * per image; the model can no longer be trained or saved as the run's.
   */
  foldBatchNorm?: boolean;
}

/** Loads a model folder saved by `train` (or saveCaptchaModel) and checks its metadata. */
export async function loadCaptchaModel(path: string, options: LoadCaptchaModelOptions = {}): Promise<LoadedCaptchaModel> {
  const dir = resolveModelDir(path);
  const { model, metadata: raw } = await loadModel(dir);
  const m = raw as unknown as CaptchaModelMetadata | undefined;
  try {
    if (m?.kind !== 'captcha-nn-captcha-model')
      throw new Error(`${dir}/model.json has no captcha-nn captcha metadata (charset, input size): was it saved by 'captcha-nn train'?`);
    const spec = m.task ?? (m.targetFormat ? { name: 'text' as const, format: m.targetFormat } : undefined);
    if (!spec) throw new Error(`${dir}/model.json: the metadata names no task (text or classification)`);
    const metadata = { ...m, task: spec };
    model.evaluate();
    checkAgainstModel(metadata, model, dir);
    if (options.foldBatchNorm) foldBatchNorm(model, { inplace: true });
    return { model, metadata, encoder: new LabelEncoder(m.charset), task: taskFromSpec(spec), dir };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The metadata must describe the model: its preprocessing gives the input's
 * channels, and one blank input gives an output with a class per charset
 * character plus the blank (and `length` positions for text). Otherwise the
 * model would read wrong characters, or fail only at predict time.
 */
function checkAgainstModel(m: CaptchaModelMetadata, model: Module, dir: string): void {
  const where = `${dir}/model.json`;
  const channels = m.preprocessing.channels === 'gray' ? 1 : 3;
  if (m.input.channels !== channels)
    throw new Error(`${where}: preprocessing '${m.preprocessing.channels}' gives ${channels} channel(s), but the model's input has ${m.input.channels}`);
  const [positions, classes, steps] = tf.tidy(() => {
    const out = model.forward(tf.zeros([1, m.input.height, m.input.width, m.input.channels]));
    const first = (Array.isArray(out) ? out[0] : out) as Tensor;
    const shape = first.shape;
    return [Array.isArray(out) ? out.length : shape.length === 3 ? shape[1]! : 1, shape[shape.length - 1]!, shape[0]!];
  });
  const want = m.charset.length + 1;
  if (classes !== want)
    throw new Error(`${where}: the charset has ${m.charset.length} characters (${want} classes with the blank), but the model outputs ${classes} classes`);
  if (m.task.name === 'ctc' && m.task.steps !== undefined && steps !== m.task.steps)
    throw new Error(`${where}: the metadata says ${m.task.steps} CTC time steps, but the model outputs ${steps}`);
  if (m.task.name === 'text' && positions !== m.length)
    throw new Error(`${where}: the metadata says ${m.length} characters, but the model outputs ${positions} positions`);
}
