/**
 * Named model builders for `train({ model: NAME })` and `captcha-nn train
 * --model NAME`. A model package registers its builders when it is
 * imported; the CLI imports the example packages, and `--import MODULE`
 * (the trainer's `imports`) brings a user's own.
 */
import { Linear, ReLU, Sequential, SpatialConvolution, SpatialMaxPooling, View, type Module } from '@captcha-nn/core';
import { textTask, type Task } from './task';

/**
 * A model's own settings (`resnet`: depth, shortcut, head), recorded in the
 * run's options so that a resumed run builds the same network.
 */
export type ModelSettings = Record<string, string | number | boolean>;

/**
 * The registry's variants: `seed` (the 2016 network), `compact` (sized for CPU
 * training) and `wide` (compact's head on a trunk with about 4× its channels,
 * for captchas from other people's generators, where compact is short of capacity).
 */
export const VARIANTS = ['seed', 'compact', 'wide'] as const;
export type Variant = (typeof VARIANTS)[number];

/** The data's shape, as a builder sees it, and the model's own settings. */
export interface ModelOptions {
  variant: Variant;
  /** Classes per position (LabelEncoder.numClasses: the charset plus the blank). */
  numClasses: number;
  /** Positions the model reads (the longest label). */
  length: number;
  /** Input image, NHWC. */
  height: number;
  width: number;
  channels: number;
  /** The run's `modelOptions` (a builder checks and defaults its own; absent: none given). */
  settings?: ModelSettings;
}

/** A built model and the task it is trained for (which owns the criterion). */
export interface ModelParts {
  model: Module;
  task: Task;
}

export type ModelBuilder = (opts: ModelOptions) => ModelParts | Promise<ModelParts>;

/** How a model is registered beyond its builder. */
export interface ModelRegistration {
  /**
   * Module specifiers a data-parallel worker imports before it rebuilds the
   * model from its spec: the package itself when it registers module
   * classes of its own (`registerModule`). Added to the run's `imports`.
   */
  imports?: string[];
}

interface Entry {
  builder: ModelBuilder;
  description: string;
  imports: string[];
}

const registry = new Map<string, Entry>();

/** Adds (or replaces) a named model builder. */
export function registerModel(name: string, builder: ModelBuilder, description = '', options: ModelRegistration = {}): void {
  if (!/^[A-Za-z][\w-]*$/.test(name)) throw new Error(`registerModel: names are letters, digits, - and _ (starting with a letter); got '${name}'`);
  registry.set(name, { builder, description, imports: [...(options.imports ?? [])] });
}

/** The modules a data-parallel worker imports for the registered model `name` (none for an unknown name). */
export function modelImports(name: string): string[] {
  return [...(registry.get(name)?.imports ?? [])];
}

/** Names and descriptions of the registered models, by name. */
export function listModels(): Array<{ name: string; description: string }> {
  return [...registry].map(([name, e]) => ({ name, description: e.description })).sort((a, b) => a.name.localeCompare(b.name));
}

/** The builder registered as `name`; throws listing the known names. */
export function getModelBuilder(name: string): ModelBuilder {
  const e = registry.get(name);
  if (!e)
    throw new Error(
      `unknown model '${name}' (known: ${listModels()
        .map((m) => m.name)
        .join(', ')})`,
    );
  return e.builder;
}

export function hasModel(name: string): boolean {
  return registry.has(name);
}

/** Throws a RangeError naming `who` on a non-positive-integer size or an unknown variant. */
export function checkModelOptions(o: ModelOptions, who: string): void {
  for (const k of ['numClasses', 'length', 'height', 'width', 'channels'] as const) {
    const v = o[k];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${who}: ${k} must be a positive integer, got ${v}`);
  }
  if (!(VARIANTS as readonly string[]).includes(o.variant)) throw new RangeError(`${who}: unknown variant '${String(o.variant)}' (${VARIANTS.join(' | ')})`);
}

/**
 * A very small CNN (two 3×3 conv + pool stages and a linear layer) for smoke
 * tests and quick experiments; the variant is ignored.
 */
export function buildTinyCaptcha(o: ModelOptions): ModelParts {
  const h = Math.floor(Math.floor(o.height / 2) / 2);
  const w = Math.floor(Math.floor(o.width / 2) / 2);
  if (h < 1 || w < 1) throw new Error(`tiny: the input ${o.width}x${o.height} is too small (at least 4x4)`);
  const model = new Sequential(
    new SpatialConvolution(o.channels, 8, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2),
    new SpatialConvolution(8, 16, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2),
    new View(-1, 16 * h * w),
    new Linear(16 * h * w, o.length * o.numClasses),
    new View(-1, o.length, o.numClasses),
  );
  return { model, task: textTask('tensor') };
}
registerModel('tiny', buildTinyCaptcha, 'a very small CNN for smoke tests and quick experiments');
