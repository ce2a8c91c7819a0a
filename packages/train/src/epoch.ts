/**
 * One epoch's training steps: the epoch's seeded order from the run's
 * position, the scheduled learning rate, the step (fused over the
 * data-parallel replicas, or forward/backward here), and the running sums.
 */
import { manualSeed, scheduledRate, tf, type Tensor } from '@captcha-nn/core';
import { batches, createRng, permutation, subset, type Batch } from '@captcha-nn/data';
import { runProgress } from './clock';
import type { Decoded } from './metrics';
import { scheduleOf } from './options';
import type { Run } from './run';
import { disposeInput, trainingInput } from './task';
import type { StepInfo } from './trainer';

export type EpochEnd = 'done' | 'interrupted' | 'time-limit';

interface StepOutcome {
  loss: number;
  /** Characters right and counted (not measured with data-parallel replicas: the fused step keeps no outputs). */
  right: number;
  chars: number;
}

/** Characters of `y` (blank padding excluded) that the readings match at their position. */
function countRight(d: Decoded, y: Tensor, blank: number): { right: number; chars: number } {
  const want = y.dataSync();
  const L = y.shape[1] ?? 1;
  let right = 0;
  let chars = 0;
  d.forEach((r, i) => {
    for (let k = 0; k < L; k++) {
      const w = want[i * L + k]!;
      if (w === blank) continue;
      chars++;
      if (r.ids[k] === w) right++;
    }
  });
  return { right, chars };
}

/**
 * Ends a frozen trunk once the run reaches epoch `freezeTrunk`: the optimizer
 * then steps every parameter, its buffers and counters restarted (Adam's
 * bias correction is per run, not per parameter, so the trunk would
 * otherwise start with a mis-scaled step).
 */
function unfreezeWhenDue(run: Run, log?: (message: string) => void): void {
  if (!run.trainable.frozenKeys || run.epoch < (run.options.freezeTrunk ?? 0)) return;
  run.trainable.unfreeze();
  run.optimizer.dispose();
  // Buffers a checkpoint loaded are not the optimizer's own: free them here.
  for (const [k, v] of Object.entries(run.optimizer.state)) {
    if (Array.isArray(v)) for (const t of v) if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
    delete run.optimizer.state[k];
  }
  log?.(`epoch ${run.epoch + 1}: the trunk trains from here (optimizer state restarted)`);
}

/** One optimizer step on a batch, at the run's current learning rate. */
async function step(run: Run, b: Batch): Promise<StepOutcome> {
  const { model, task, optimizer, dp } = run;
  const target = task.target(b.y);
  const input = trainingInput(task, b.x, b.y);
  try {
    model.training();
    manualSeed(`${run.options.seed}:${run.step}`);
    model.zeroGradParameters();
    if (dp) {
      const loss = await dp.backward(task.criterion, input, target);
      optimizer.step(loss);
      return { loss, right: 0, chars: 0 };
    }
    const output = model.forward(input);
    const loss = task.criterion.forward(output, target);
    model.backward(input, task.criterion.backward(output, target));
    optimizer.step(loss);
    return { loss, ...countRight(task.decode(output), b.y, run.data.encoder.blank) };
  } finally {
    task.disposeTarget(target, b.y);
    disposeInput(input, b.x);
  }
}

/**
 * The learning rate of the next step, and whether it is the last one the
 * time limit allows (then it is the schedule's final rate).
 */
function nextRate(run: Run): { rate: number; last: boolean } {
  const { timeLimit } = run.options;
  const projected = run.clock.elapsed() + run.clock.stepSeconds;
  const last = timeLimit > 0 && projected >= timeLimit * 60;
  const p = last ? 1 : runProgress(run.step, run.scheduleSteps, projected, timeLimit, run.labellingSeconds);
  return { rate: scheduledRate(scheduleOf(run.options), p), last };
}

function stepInfo(run: Run, o: StepOutcome, n: number): StepInfo {
  const s = run.sums;
  const measured = !run.dp;
  return {
    epoch: run.epoch + 1,
    epochs: run.options.epochs,
    batch: s.batches,
    stepsPerEpoch: run.stepsPerEpoch,
    step: run.step,
    totalSteps: run.totalSteps,
    loss: o.loss,
    accuracy: measured ? (o.chars ? o.right / o.chars : 0) : null,
    epochLoss: s.lossSum / s.batches,
    epochAccuracy: measured ? (s.chars ? s.charsRight / s.chars : 0) : null,
    learningRate: run.learningRate,
    samplesPerSecond: s.seconds > 0 ? s.samples / s.seconds : n,
    eta: s.batches > 0 ? (s.seconds / s.batches) * (run.totalSteps - run.step) : 0,
  };
}

/**
 * Trains the rest of the run's epoch. Returns 'done' when the epoch's data
 * is used up (the position is then its size), or why it stopped early.
 */
export async function trainEpoch(
  run: Run,
  cb: {
    onStep?(info: StepInfo): void;
    onEpochStart?(epoch: number, epochs: number, batchesDone: number, stepsPerEpoch: number): void;
    signal?: AbortSignal;
    log?(message: string): void;
  },
): Promise<EpochEnd> {
  const { options: o } = run;
  unfreezeWhenDue(run, cb.log);
  cb.onEpochStart?.(run.epoch + 1, o.epochs, run.sums.batches, run.stepsPerEpoch);
  const source = run.data.trainSource(run.epoch);
  const size = epochLength(source.size, o.batchSize);
  if (run.position >= size) return 'done';
  const order = permutation(source.size, createRng('shuffle', o.seed, run.epoch));
  const from = run.position;
  // A step's time runs from the end of the previous one, so waiting for a batch counts.
  let tLast = run.clock.read();
  for await (const b of batches(subset(source, order.subarray(from, size)), { batchSize: o.batchSize, shuffle: false, normalize: 'unit' })) {
    const { rate, last } = nextRate(run);
    run.learningRate = run.optimizer.config.learningRate = rate;
    const n = b.labels.length;
    let outcome: StepOutcome;
    try {
      outcome = await step(run, b);
    } finally {
      b.dispose();
    }
    if (!Number.isFinite(outcome.loss))
      throw new Error(
        `the loss is ${outcome.loss} at step ${run.step + 1}: training diverged. Start a new run (another --out) with a lower --lr than ${o.lr}` +
          `${o.schedule === 'constant' ? ' or a decaying --schedule' : ''}; the checkpoint in ${run.paths.out} holds the weights of epoch ${run.epoch}'s start or its last interruption`,
      );
    run.ema?.update(run.model, run.step + 1);
    const now = run.clock.read();
    const seconds = now - tLast;
    tLast = now;
    run.clock.stepTook(seconds);
    run.step++;
    run.samples += n;
    run.position = from + b.end;
    const s = run.sums;
    s.seconds += seconds;
    s.lossSum += outcome.loss;
    s.batches++;
    s.charsRight += outcome.right;
    s.chars += outcome.chars;
    s.samples += n;
    cb.onStep?.(stepInfo(run, outcome, n));
    // Let signal handlers and timers run: prefetched batches resolve without a macrotask turn.
    await new Promise<void>((r) => setImmediate(r));
    if (cb.signal?.aborted) return 'interrupted';
    // Only a step run as the last one stops the run, so it always ends at the schedule's final rate
    // (a step that overran the budget is followed by one such step).
    if (last) {
      // The epoch may have ended with this very batch.
      if (run.position >= size) run.position = size;
      return 'time-limit';
    }
  }
  run.position = size;
  return 'done';
}

/**
 * Images of an epoch's shuffled order that are trained on: all but the last
 * when it would make a batch of its own, since batch norm cannot normalise
 * one sample in training (449 images at batch 32, say).
 */
export function epochLength(size: number, batchSize: number): number {
  return size > 1 && size % batchSize === 1 ? size - 1 : size;
}
