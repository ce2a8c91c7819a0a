/**
 * Models that ship with the CLI, by name: `train --init general`,
 * `eval --model general`, `predict --model general`. A folder of the same
 * name in the working directory wins over the shipped model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The shipped models and what each is; their training commands are in docs/results.md. */
export const PRETRAINED = {
  general: 'ctc compact pre-trained on `--generate mix` (our generators, randomised): 160x64, 4–8 characters of 0-9A-Za-z; the default --init for --data',
} as const;

export type PretrainedName = keyof typeof PRETRAINED;

/** The folder of a shipped model (packages/cli/models/<name>, beside dist/ and src/). */
export function pretrainedDir(name: PretrainedName): string {
  return fileURLToPath(new URL(`../models/${name}/`, import.meta.url));
}

export function isPretrainedName(name: string): name is PretrainedName {
  return Object.hasOwn(PRETRAINED, name);
}

/**
 * A `--model`/`--init` argument as a path: a file or folder that exists as
 * given, else a shipped model's folder, else the argument unchanged (the
 * loader then reports that no such folder exists).
 */
export function resolveModelArg(arg: string, flag: string): string {
  if (existsSync(arg) || !isPretrainedName(arg)) return arg;
  const dir = pretrainedDir(arg);
  if (!existsSync(join(dir, 'model.json')))
    throw new Error(`${flag} ${arg}: the shipped model is missing from this install (expected ${join(dir, 'model.json')})`);
  return dir;
}
