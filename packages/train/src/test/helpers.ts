import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Linear,
  LogSoftMax,
  ReLU,
  Sequential,
  SpatialConvolution,
  SpatialMaxPooling,
  SplitTable,
  Transpose,
  View,
  loadSafetensors,
  type Tensor,
} from '@captcha-nn/core';
import type { ModelOptions } from '../registry';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'captcha-nn-train-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export { TINY_DATA } from '../testing';

/** Every tensor of a safetensors file (a checkpoint or weights), as plain arrays. */
export async function tensorsOf(path: string): Promise<Record<string, Float32Array | Int32Array>> {
  const { tensors } = await loadSafetensors(path);
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const [k, t] of Object.entries(tensors)) {
    out[k] = (t as Tensor).dataSync() as Float32Array;
    (t as Tensor).dispose();
  }
  return out;
}

/** A run's metrics.jsonl records without their wall-clock fields (which differ between runs). */
export function metricsOf(out: string): Array<Record<string, unknown>> {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ seconds: _s, samplesPerSecond: _p, time: _t, ...rest }) => rest);
}

/** conv 3×3 → ReLU → 4×4 max-pool → Linear(outputs): the body of the test models. */
function tinyNet(o: ModelOptions, outputs: number): Sequential {
  const features = 8 * Math.floor(o.height / 4) * Math.floor(o.width / 4);
  return new Sequential(
    new SpatialConvolution(o.channels, 8, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(4, 4, 4, 4),
    new View(-1, features),
    new Linear(features, outputs),
  );
}

/** A test model with the 'table' output contract: a table of `length` [N, C] log-probabilities. */
export function tinyTableNet(o: ModelOptions): Sequential {
  return tinyNet(o, o.length * o.numClasses)
    .add(new View(-1, o.length, o.numClasses))
    .add(new LogSoftMax())
    .add(new SplitTable(1));
}

/** A test classifier: [N, C] log-probabilities. */
export function tinyClassifierNet(o: ModelOptions): Sequential {
  return tinyNet(o, o.numClasses).add(new LogSoftMax());
}

/**
 * A test CTC model: conv 3×3 → ReLU → 4×4 max-pool, each of the W/4 columns
 * a time step → Linear → LogSoftMax, output [T, N, C] (time-major). No
 * BatchNorm, so a data-parallel step gives the full batch's gradient.
 */
export function tinyCtcNet(o: ModelOptions): { model: Sequential; steps: number } {
  const h = Math.floor(o.height / 4);
  const T = Math.floor(o.width / 4);
  const model = new Sequential(
    new SpatialConvolution(o.channels, 8, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(4, 4, 4, 4),
    new Transpose([0, 2], [1, 2]),
    new View(-1, 8 * h),
    new Linear(8 * h, o.numClasses),
    new LogSoftMax(),
    new View(T, -1, o.numClasses),
  );
  return { model, steps: T };
}
