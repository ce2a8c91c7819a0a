/**
 * Named model builders for `captcha-nn train --model NAME`. A builder takes
 * the data's shape and returns the example packages' CaptchaModel contract.
 */
import {
  MultiCrossEntropyCriterion,
  ReLU,
  Sequential,
  SpatialConvolution,
  SpatialMaxPooling,
  View,
  Linear,
} from '@captcha-nn/core';
// The example packages' contract, one definition for both sides (type-only: the examples still load lazily).
import type { CaptchaModel, CaptchaModelOptions } from '@captcha-nn/example-cnn-captcha';

export type { CaptchaModel, CaptchaModelOptions };

export type ModelBuilder = (opts: CaptchaModelOptions) => CaptchaModel | Promise<CaptchaModel>;

interface Entry {
  builder: ModelBuilder;
  description: string;
}

const registry = new Map<string, Entry>();

/** Adds (or replaces) a named model builder. */
export function registerModel(name: string, builder: ModelBuilder, description = ''): void {
  if (!/^[A-Za-z][\w-]*$/.test(name)) throw new Error(`model names are letters, digits, - and _ (starting with a letter); got '${name}'`);
  registry.set(name, { builder, description });
}

/** Names and descriptions of the registered models. */
export function listModels(): Array<{ name: string; description: string }> {
  return [...registry].map(([name, e]) => ({ name, description: e.description }));
}

/** The builder registered as `name`; throws listing the known names. */
export function getModelBuilder(name: string): ModelBuilder {
  const e = registry.get(name);
  if (!e) throw new Error(`unknown model '${name}' (known: ${[...registry.keys()].join(', ')})`);
  return e.builder;
}

export function hasModel(name: string): boolean {
  return registry.has(name);
}

// The example packages are imported when used, so the CLI starts fast and a
// missing example build is reported when it is asked for, not at start-up.
/**
 * Imports an example package by name. The specifier is a variable on
 * purpose: the package is resolved at run time (and typed by the contract
 * above), so this package builds whatever state the examples' builds are in.
 */
async function importExample<T>(pkg: string, exportName: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load ${pkg} (${(e as Error).message}); build it first: npm run build -w ${pkg}`);
  }
  const fn = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof fn !== 'function') throw new Error(`${pkg} does not export ${exportName}()`);
  return fn as T;
}

registerModel(
  'cnn',
  async (o) => (await importExample<ModelBuilder>('@captcha-nn/example-cnn-captcha', 'buildCnnCaptcha'))(o),
  'VGG-style CNN, all characters at once (examples/cnn-captcha)',
);
registerModel(
  'crnn',
  async (o) => (await importExample<ModelBuilder>('@captcha-nn/example-rnn-captcha', 'buildCrnnCaptcha'))(o),
  'CNN features + recurrent head (examples/rnn-captcha)',
);

/**
 * A very small CNN (two 3×3 conv + pool stages and a linear layer) for smoke
 * tests and quick experiments; the variant is ignored.
 */
export function buildTinyCaptcha(o: CaptchaModelOptions): CaptchaModel {
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
  return { model, criterion: new MultiCrossEntropyCriterion(), targetFormat: 'tensor' };
}
registerModel('tiny', buildTinyCaptcha, 'a very small CNN for smoke tests and quick experiments');
