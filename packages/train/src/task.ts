/**
 * What a model is trained to output: a task owns the loss (its criterion),
 * how a batch's labels become the criterion's target, how an output is
 * decoded into classes, and how decoded outputs are scored. The trainer,
 * `evaluateModel` and `predictFiles` only talk to a task, so a new kind of
 * model (variable-length text, voting over renders) is a new task, not a
 * new loop.
 */
import { ClassNLLCriterion, MultiCrossEntropyCriterion, SequencerCriterion, tf, type Activity, type Criterion, type Tensor } from '@captcha-nn/core';
import type { LabelEncoder } from '@captcha-nn/data';
import { AccuracyMeter, type Decoded } from './metrics';
import { seq2seqTask, type Seq2seqSpec } from './seq2seqTask';

/**
 * - `text`, format `tensor`: the model outputs [N, L, C] scores, the criterion takes the [N, L] targets.
 * - `text`, format `table`: the model outputs a table of L [N, C] log-probabilities, the criterion a table of L [N] targets.
 * - `classification`: one label per image; the model outputs [N, C] scores, the criterion takes [N] targets.
 * - `seq2seq`: a decoder writes the text and an end symbol (seq2seqTask.ts).
 */
export type TaskSpec = { name: 'text'; format: 'tensor' | 'table' } | { name: 'classification' } | Seq2seqSpec;

export interface Task {
  readonly spec: TaskSpec;
  readonly criterion: Criterion;
  /**
   * The model's training input for a batch when it is not the images `x`
   * alone: `{x, previous characters}` for teacher forcing. Evaluation and
   * prediction always feed `x`. The caller frees what it made (`disposeInput`).
   */
  input?(x: Tensor, y: Tensor): Activity;
  /** The criterion's target for a batch's labels `y` ([N, L] int32 class ids, blank-padded). */
  target(y: Tensor): Activity;
  /** Frees what `target` made (never `y` itself). */
  disposeTarget(target: Activity, y: Tensor): void;
  /** The most probable class at each position, and its probability. Frees nothing of `output`. */
  decode(output: Activity): Decoded;
  /** A fresh accumulator of this task's metrics. */
  meter(encoder: LabelEncoder): AccuracyMeter;
}

/** Argmax and its probability over the last axis of [N, L, C] scores (softmax taken here). */
function decodeScores(scores: () => Tensor): Decoded {
  const [cls, pr] = tf.tidy(() => {
    const p = tf.softmax(scores(), -1);
    return [tf.cast(tf.argMax(p, -1), 'int32'), tf.max(p, -1)];
  });
  try {
    const [n, length] = cls.shape as [number, number];
    return { n, length, classes: Int32Array.from(cls.dataSync() as Int32Array), probs: Float32Array.from(pr.dataSync() as Float32Array) };
  } finally {
    cls.dispose();
    pr.dispose();
  }
}

function disposeCreated(target: Activity, y: Tensor): void {
  const list = Array.isArray(target) ? target : [target];
  for (const t of list) if (t !== y) (t as Tensor).dispose();
}

/** The model's training input for a batch: `task.input(x, y)`, or `x`. */
export function trainingInput(task: Task, x: Tensor, y: Tensor): Activity {
  return task.input ? task.input(x, y) : x;
}

/** Frees what `trainingInput` made (never `x`). */
export function disposeInput(input: Activity, x: Tensor): void {
  disposeCreated(input, x);
}

/** Fixed-length text: every position is one character class (shorter labels padded with the blank). */
export function textTask(format: 'tensor' | 'table', criterion?: Criterion): Task {
  return {
    spec: { name: 'text', format },
    criterion: criterion ?? (format === 'tensor' ? new MultiCrossEntropyCriterion() : new SequencerCriterion(new ClassNLLCriterion())),
    target: (y) => (format === 'table' ? tf.unstack(y, 1) : y),
    disposeTarget: disposeCreated,
    decode: (out) => decodeScores(() => (Array.isArray(out) ? tf.stack(out as Tensor[], 1) : (out as Tensor))),
    meter: (encoder) => new AccuracyMeter(encoder),
  };
}

/** One class per image (top-1 accuracy is the meter's whole-label accuracy). */
export function classificationTask(criterion?: Criterion): Task {
  return {
    spec: { name: 'classification' },
    criterion: criterion ?? new ClassNLLCriterion(),
    target: (y) => tf.reshape(y, [y.shape[0]!]),
    disposeTarget: disposeCreated,
    decode: (out) => decodeScores(() => tf.expandDims(out as Tensor, 1)),
    meter: (encoder) => new AccuracyMeter(encoder),
  };
}

/** The task a saved model was trained for (its metadata's `task`, or the older `targetFormat`). */
export function taskFromSpec(spec: TaskSpec): Task {
  if (spec.name === 'classification') return classificationTask();
  if (spec.name === 'text' && (spec.format === 'tensor' || spec.format === 'table')) return textTask(spec.format);
  if (spec.name === 'seq2seq') return seq2seqTask(spec.end);
  throw new Error(`unknown task ${JSON.stringify(spec)} (known: text with format tensor|table, classification, seq2seq)`);
}
