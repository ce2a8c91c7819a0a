/**
 * Worker count for data-parallel training. The core's worker_threads trainer
 * is not there yet: `--workers` is accepted and validated, and training runs
 * in one worker (this process) until the core provides it. `trainingWorkers`
 * is the single place to connect it.
 */
import { availableParallelism, cpus } from 'node:os';
import { readFileSync } from 'node:fs';

/** Physical cores (Linux: distinct (package, core) pairs in /proc/cpuinfo), else logical CPUs. */
export function physicalCores(): number {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const cores = new Set<string>();
    let phys = '0';
    for (const line of info.split('\n')) {
      const [k, v] = line.split(':').map((s) => s?.trim());
      if (k === 'physical id') phys = v ?? '0';
      else if (k === 'core id') cores.add(`${phys}/${v}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    /* not Linux */
  }
  return typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
}

export interface WorkerPlan {
  requested: number;
  /** Workers actually used. */
  used: number;
  note?: string;
}

/** The seam for the core's data-parallel trainer: for now, one worker. */
export function trainingWorkers(requested: number): WorkerPlan {
  if (requested <= 1) return { requested, used: 1 };
  return {
    requested,
    used: 1,
    note: `--workers ${requested}: data-parallel training is not in @captcha-nn/core yet; training in 1 worker`,
  };
}
