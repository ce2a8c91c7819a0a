/**
 * What a run leaves after each epoch: the validation score, the epoch's
 * line in metrics.jsonl, the curves, the best model so far in best/, and the
 * checkpoint.
 */
import { appendFile } from 'node:fs/promises';
import type { Tensor } from '@captcha-nn/core';
import { basename } from 'node:path';
import { saveCheckpoint, type BestRecord } from './checkpoint';
import { writeCurves, type EpochRecord } from './curves';
import { evaluateModel, type EvalResult } from './metrics';
import { saveCaptchaModel, type CaptchaModelMetadata } from './modelio';
import type { Run } from './run';

/** Scores the model on the validation images; null when the run has none, 'interrupted' when stopped part-way. */
export async function validate(
  run: Run,
  cb: { onValidation?(done: number, total: number): void; signal?: AbortSignal },
): Promise<EvalResult | null | 'interrupted'> {
  const { validation } = run.data;
  if (!validation) return null;
  const val = await evaluateModel(run.model, validation, {
    batchSize: run.options.batchSize,
    encoder: run.data.encoder,
    task: run.task,
    withLoss: true,
    shouldStop: () => cb.signal?.aborted === true,
    onBatch: cb.onValidation,
    // The data-parallel replicas read the validation images too (a task that configures the model to decode reads here only).
    ...(run.dp && !run.task.configureModel ? { forward: (x: Tensor) => run.dp!.forward(x, { dim: run.task.outputBatchDim ?? 0 }) } : {}),
  });
  if (val === null) return 'interrupted';
  run.lastValidation = val;
  return val;
}

/** Better than the best so far: validation accuracy first (whole labels, then characters, then loss); the training loss without validation. */
export function isBetter(v: EvalResult | null, trainLoss: number, best: BestRecord | null): boolean {
  if (!best) return true;
  if (!v) return best.loss === null || trainLoss < best.loss;
  if (v.captchaAccuracy !== best.captchaAccuracy) return v.captchaAccuracy > best.captchaAccuracy;
  if (v.charAccuracy !== best.charAccuracy) return v.charAccuracy > best.charAccuracy;
  return (v.loss ?? Infinity) < (best.loss ?? Infinity);
}

function epochRecord(run: Run, val: EvalResult | null, partial: boolean): EpochRecord {
  const s = run.sums;
  return {
    type: 'epoch',
    epoch: run.epoch + 1,
    step: run.step,
    samples: run.samples,
    trainLoss: s.batches ? s.lossSum / s.batches : NaN,
    trainCharAccuracy: s.chars ? s.charsRight / s.chars : null,
    valLoss: val?.loss ?? null,
    valCharAccuracy: val?.charAccuracy ?? null,
    valCaptchaAccuracy: val?.captchaAccuracy ?? null,
    seconds: s.seconds,
    samplesPerSecond: s.seconds > 0 ? s.samples / s.seconds : 0,
    learningRate: run.learningRate,
    ...(partial ? { partial: true as const } : {}),
    time: new Date().toISOString(),
  };
}

function bestMetadata(run: Run, record: EpochRecord, val: EvalResult | null): CaptchaModelMetadata {
  const { options: o, data } = run;
  const prep = data.preprocessing;
  return {
    kind: 'captcha-nn-captcha-model',
    version: 1,
    model: { name: o.model, variant: o.variant, ...(o.modelOptions ? { options: o.modelOptions } : {}) },
    charset: data.encoder.charset,
    blank: 'last',
    length: data.maxLength,
    // A CTC model reads its training labels' lengths by default (ctcTask's readLength).
    task: run.task.spec.name === 'ctc' ? { ...run.task.spec, readLength: data.labelLengths } : run.task.spec,
    input: { height: prep.height, width: prep.width, channels: prep.channels === 'gray' ? 1 : 3 },
    preprocessing: prep,
    training: {
      epoch: record.epoch,
      step: record.step,
      validation: val ? { captchaAccuracy: val.captchaAccuracy, charAccuracy: val.charAccuracy, loss: val.loss ?? null } : null,
      data: data.description,
      seed: o.seed,
      savedAt: record.time,
    },
  };
}

/**
 * Ends an epoch (or the part a time limit allowed, `partial`): saves best/
 * when it is the best so far, appends to metrics.jsonl and redraws the curves.
 * An epoch `--val-every` left unscored ('skipped') is recorded but never best.
 */
export async function recordEpoch(run: Run, scored: EvalResult | null | 'skipped', partial: boolean): Promise<{ record: EpochRecord; isBest: boolean }> {
  const val = scored === 'skipped' ? null : scored;
  const record = epochRecord(run, val, partial);
  const isBest = scored !== 'skipped' && isBetter(val, record.trainLoss, run.best);
  if (isBest) {
    run.best = {
      epoch: record.epoch,
      step: record.step,
      captchaAccuracy: val?.captchaAccuracy ?? 0,
      charAccuracy: val?.charAccuracy ?? 0,
      loss: val ? (val.loss ?? null) : record.trainLoss,
      validated: val !== null,
    };
    await saveCaptchaModel(run.paths.best, run.model, bestMetadata(run, record, val));
  }
  run.records.push(record);
  await appendFile(run.paths.metrics, `${JSON.stringify(record)}\n`);
  await writeCurves(run.paths.curves, run.records, basename(run.paths.out));
  return { record, isBest };
}

/** Writes the checkpoint (atomically) with the run's position; `atEpoch` after an epoch's end. */
export async function saveRunCheckpoint(run: Run, atEpoch = run.epoch): Promise<void> {
  await saveCheckpoint(
    run.paths.checkpoint,
    run.model,
    run.optimizer,
    {
      options: run.options,
      epoch: atEpoch,
      position: run.position,
      ...(run.data.fingerprint ? { dataFingerprint: run.data.fingerprint } : {}),
      step: run.step,
      samples: run.samples,
      epochSums: run.sums,
      best: run.best,
      scheduleSteps: run.scheduleSteps,
      learningRate: run.learningRate,
      ...(run.trainable.frozenKeys ? { frozenKeys: run.trainable.frozenKeys } : {}),
      seconds: run.clock.elapsed(),
      ...(run.labellingSeconds ? { labellingSeconds: run.labellingSeconds } : {}),
    },
    run.ema,
  );
}
