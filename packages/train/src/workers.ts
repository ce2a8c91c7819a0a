/**
 * Data-parallel training: `--workers N` splits every batch over N replicas
 * of the model with the core's `DataParallelTable` (replica 0 on the main
 * thread, N−1 worker threads). N = 1 uses no table: the trainer's own
 * single-process step runs unchanged. The default worker count is the
 * core's `physicalCores()`.
 */
import { DataParallelTable, type Module } from '@captcha-nn/core';

export interface WorkerPlan {
  requested: number;
  /** Replicas actually used (the main thread's included): at most the batch size. */
  used: number;
  note?: string;
}

/** How many replicas a run uses: `requested`, capped at the batch size (a shard holds at least one sample). */
export function trainingWorkers(requested: number, batchSize = Infinity): WorkerPlan {
  if (requested <= batchSize) return { requested, used: requested };
  return { requested, used: batchSize, note: `--workers ${requested}: the batch has ${batchSize} samples; training with ${batchSize} workers` };
}

export interface DataParallelSetup {
  /** Module specifiers each worker imports first, so that custom module classes are registered (`registerModule`). */
  imports?: string[];
  /** The workers' tfjs backend (default: the main thread's). */
  backend?: string;
}

/** A started `DataParallelTable` over `plan.used` replicas, or null for one worker. Rejects naming the worker that failed to start. */
export async function openDataParallel(model: Module, plan: WorkerPlan, setup: DataParallelSetup = {}): Promise<DataParallelTable | null> {
  if (plan.used <= 1) return null;
  const dp = new DataParallelTable(model, {
    threads: plan.used,
    ...(setup.imports?.length ? { imports: setup.imports } : {}),
    ...(setup.backend ? { backend: setup.backend } : {}),
  });
  try {
    return await dp.ready();
  } catch (e) {
    await dp.dispose();
    throw e;
  }
}
