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

/** CPU time of each logical CPU (os.cpus() times), for measuring how busy they are. */
type CpuTimes = Array<{ idle: number; total: number }>;

/**
 * How many logical CPUs had at least half their time idle across two
 * readings of `os.cpus()` times (`before` then `after`, or two CpuTimes).
 */
export function idleCpus(before: CpuTimes, after: CpuTimes): number {
  let n = 0;
  after.forEach((a, i) => {
    const b = before[i];
    if (!b) return;
    const total = a.total - b.total;
    if (total > 0 && (a.idle - b.idle) / total >= 0.5) n++;
  });
  return n;
}

/**
 * The physical cores other processes leave free, the default number of
 * data-parallel replicas: CPUs mostly idle over `sampleMs`, scaled from
 * logical to physical CPUs, at least 1. A replica that shares its core with
 * another busy process makes every step wait for it, which costs more than
 * the replica gains. Node only.
 */
export async function freeCores(sampleMs = 500): Promise<{ free: number; physical: number }> {
  const os = await nodeImport<NodeOs>('node:os');
  const read = (): CpuTimes =>
    os.cpus().map((c) => {
      const t = c.times;
      return { idle: t.idle, total: t.user + t.nice + t.sys + t.idle + t.irq };
    });
  const physical = await physicalCores();
  const before = read();
  await new Promise((r) => setTimeout(r, sampleMs));
  const logical = before.length;
  const idle = idleCpus(before, read());
  return { free: Math.max(1, Math.min(physical, Math.round((idle * physical) / Math.max(1, logical)))), physical };
}
