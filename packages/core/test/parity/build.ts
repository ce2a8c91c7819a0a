/**
 * What the parity suite needs beyond the library's spec builder.
 *
 * Module and criterion fixtures carry the spec that `toSpec()` writes and
 * `moduleFromSpec` / `criterionFromSpec` (src/io/spec.ts) build:
 *
 *   {"type": "SpatialConvolution", "args": [3, 8, 3, 3, 2, 2, 1, 1]}
 *   {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2], "ceil": true}
 *   {"type": "Sequential", "children": [...]}, also ConcatTable, ParallelTable
 *
 * plus `"train": false` on a root module spec (`evaluate()` before the
 * forward). Optimizer fixtures have `{"type": "sgd", "config": {...}}`; their
 * functions, and `fusedBackward`, are looked up by name in src/index.ts, then
 * in src/<dir>/<Name>.ts, so a fixture whose piece is not written yet fails
 * alone with "not implemented" instead of breaking the whole suite.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ModuleSpec } from '../../src/io/spec';

export { criterionFromSpec, moduleFromSpec } from '../../src/io/spec';

export interface Spec extends ModuleSpec {
  children?: Spec[];
  /** false: `evaluate()` before the forward (root spec only). */
  train?: boolean;
  /** Optimizers: Torch's config table. */
  config?: Record<string, unknown>;
}

const SRC = new URL('../../src/', import.meta.url);
const SEARCH = ['nn', 'criterion', 'optim', 'train', 'io'];

export class NotImplemented extends Error {
  constructor(name: string) {
    super(`${name} is not implemented yet (not exported by src/index.ts nor found in src/{${SEARCH.join(',')}}/${name}.ts)`);
    this.name = 'NotImplemented';
  }
}

/** An export of the library by name: src/index.ts first, then src/<dir>/<file>.ts. */
export async function lookup(name: string, file = name): Promise<unknown> {
  const index = (await import('../../src/index')) as Record<string, unknown>;
  if (name in index) return index[name];
  for (const dir of SEARCH) {
    const path = fileURLToPath(new URL(`${dir}/${file}.ts`, SRC));
    if (!existsSync(path)) continue;
    const mod = (await import(/* @vite-ignore */ path)) as Record<string, unknown>;
    if (name in mod) return mod[name];
  }
  throw new NotImplemented(name);
}

/** Torch's optimizer function by name (`sgd`, `adam`…), from src/optim. */
export async function optimMethod(name: string): Promise<(...a: unknown[]) => unknown> {
  const optim = (await lookup('methods', 'index')) as Record<string, (...a: unknown[]) => unknown> | undefined;
  const fn = optim?.[name] ?? ((await lookup(name)) as (...a: unknown[]) => unknown);
  if (typeof fn !== 'function') throw new NotImplemented(`optim.${name}`);
  return fn;
}
