import { type NodeFs, nodeImport } from '../util/nodeImport';

type NodeOs = typeof import('node:os');

/**
 * The number of physical CPU cores, the default number of data-parallel
 * replicas: hyper-threads share a core's arithmetic units, so a second
 * single-threaded wasm replica on a sibling thread mostly competes with the
 * first. `os.availableParallelism()` counts logical CPUs; on Linux the
 * distinct (`physical id`, `core id`) pairs of /proc/cpuinfo are the
 * physical cores. Elsewhere, or when /proc/cpuinfo says nothing usable, it
 * falls back to `availableParallelism()`. Node only.
 */
export async function physicalCores(): Promise<number> {
  const os = await nodeImport<NodeOs>('node:os');
  const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (os.platform() !== 'linux') return Math.max(1, logical);
  try {
    const fs = await nodeImport<NodeFs>('node:fs/promises');
    const n = coresFromCpuinfo(await fs.readFile('/proc/cpuinfo', 'utf8'));
    return n > 0 ? Math.min(n, Math.max(1, logical)) : Math.max(1, logical);
  } catch {
    return Math.max(1, logical);
  }
}

/** Distinct (`physical id`, `core id`) pairs in /proc/cpuinfo's text; 0 when it has no `core id`s. */
export function coresFromCpuinfo(text: string): number {
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const core = /^core id\s*:\s*(\S+)/m.exec(block)?.[1];
    if (core === undefined) continue;
    const socket = /^physical id\s*:\s*(\S+)/m.exec(block)?.[1] ?? '0';
    cores.add(`${socket}:${core}`);
  }
  return cores.size;
}
