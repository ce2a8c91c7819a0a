/**
 * Builds our modules, criteria and optimizers from the JSON specs of the
 * PyTorch parity fixtures (scripts/parity/make_fixtures.py):
 *
 *   {"type": "SpatialConvolution", "args": [3, 8, 3, 3, 2, 2, 1, 1]}
 *   {"type": "SpatialMaxPooling", "args": [2, 2, 2, 2], "ceil": true}
 *   {"type": "Sequential", "children": [...]}, also ConcatTable, ParallelTable
 *   {"type": "sgd", "config": {...}} for optimizers
 *
 * `args` are the constructor's arguments in Torch's order (null = left out);
 * containers get their children as constructor arguments, as `new
 * Sequential(a, b)`. Classes are looked up by name in src/index.ts, then in
 * src/nn/<Name>.ts, so a fixture whose module is not written yet fails alone
 * with "not implemented" instead of breaking the whole suite.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Criterion } from '../../src/nn/Criterion';
import type { Module } from '../../src/nn/Module';

export interface Spec {
  type: string;
  args?: unknown[];
  children?: Spec[];
  /** Pooling: Torch's `:ceil()`. */
  ceil?: boolean;
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

type Ctor<T> = new (...args: unknown[]) => T;

const args = (spec: Spec) => (spec.args ?? []).map((a) => (a === null ? undefined : a));

/** Our module for a spec, children first. */
export async function buildModule(spec: Spec): Promise<Module> {
  const Cls = (await lookup(spec.type)) as Ctor<Module>;
  let m: Module;
  if (spec.children) {
    const kids = [];
    for (const c of spec.children) kids.push(await buildModule(c));
    m = new Cls(...kids);
  } else {
    m = new Cls(...args(spec));
  }
  if (spec.ceil) {
    const pool = m as Module & { ceil?: () => Module };
    if (typeof pool.ceil !== 'function') throw new Error(`${spec.type} has no ceil()`);
    pool.ceil();
  }
  return m;
}

export async function buildCriterion(spec: Spec): Promise<Criterion> {
  const Cls = (await lookup(spec.type)) as Ctor<Criterion>;
  return new Cls(...args(spec));
}

/** Torch's optimizer function by name (`sgd`, `adam`…), from src/optim. */
export async function optimMethod(name: string): Promise<(...a: unknown[]) => unknown> {
  const optim = (await lookup('methods', 'index')) as Record<string, (...a: unknown[]) => unknown> | undefined;
  const fn = optim?.[name] ?? ((await lookup(name)) as (...a: unknown[]) => unknown);
  if (typeof fn !== 'function') throw new NotImplemented(`optim.${name}`);
  return fn;
}
