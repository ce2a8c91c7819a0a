/**
 * What a model is trained to output: a task owns the loss (its criterion),
 * how a batch's labels become the criterion's target, how an output is
 * decoded into readings, and how readings are scored. The trainer,
 * `evaluateModel` and `predictFiles` only talk to a task, so a new kind of
 * model (variable-length text, voting over renders) is a new task, not a
 * new loop.
 */
import {
  ClassNLLCriterion,
  CrossEntropyCriterion,
  MultiCrossEntropyCriterion,
  SequencerCriterion,
  tf,
  type Activity,
  type Criterion,
  type Module,
  type Tensor,
} from '@captcha-nn/core';
import type { LabelEncoder } from '@captcha-nn/data';
import { AccuracyMeter, type Decoded, type Reading } from './metrics';
import type { Seq2seqSpec } from './seq2seqTask';

/**
 * - `text`, format `tensor`: the model outputs [N, L, C] scores, the criterion takes the [N, L] targets.
 * - `text`, format `table`: the model outputs a table of L [N, C] log-probabilities, the criterion a table of L [N] targets.
 * - `classification`: one label per image; the model outputs [N, C] scores, the criterion takes [N] targets.
 * - `ctc`: the model outputs [T, N, C] log-probabilities (time-major) read with CTC; `blank` is its blank class, `steps` T,
 *   `readLength` the lengths of the labels a saved model was trained on, which it reads by default (ctcTask.ts).
 * - `seq2seq`: a decoder writes the text and an end symbol (seq2seqTask.ts).
 */
export type TaskSpec =
  | { name: 'text'; format: 'tensor' | 'table' }
  | { name: 'classification' }
  | { name: 'ctc'; blank: number; steps?: number; readLength?: TextLength }
  | Seq2seqSpec;

/** Characters in a text, from min to max. */
export interface TextLength {
  min: number;
  max: number;
}

/** How a task decodes, where it has a choice. */
export interface DecodeOptions {
  /** CTC: prefix beam search keeping this many prefixes; 1 or absent: greedy (best path). */
  beam?: number;
  /**
   * CTC: read only texts of min..max characters, for a scheme of known length (a beam search, of width `beam`
   * or DEFAULT_LENGTH_BEAM). Absent: the task's `readLength` where it has one; `'any'`: any length.
   */
  length?: TextLength | 'any';
}

/** Whole numbers with 1 <= min <= max. */
export function isTextLength(l: TextLength): boolean {
  return Number.isInteger(l.min) && Number.isInteger(l.max) && l.min >= 1 && l.max >= l.min;
}

/** The beam width of a length-constrained CTC reading when no --beam is given. */
export const DEFAULT_LENGTH_BEAM = 10;

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
  target(y: Tensor): Activity | number[][];
  /** Frees what `target` made (never `y` itself). */
  disposeTarget(target: Activity | number[][], y: Tensor): void;
  /** The batch dimension of the model's output (of each tensor of a table): 0 unless set; CTC's [T, N, C] has it at 1. */
  readonly outputBatchDim?: number;
  /** Each sample's reading: class ids (no blanks), their probabilities, a confidence. Frees nothing of `output`. */
  decode(output: Activity, options?: DecodeOptions): Decoded;
  /** A fresh accumulator of this task's metrics. */
  meter(encoder: LabelEncoder): AccuracyMeter;
  /**
   * Models that decode themselves (seq2seq's greedy or beam search inside
   * the model): sets the model up for `options` before evaluation or prediction.
   */
  configureModel?(model: Module, options: DecodeOptions | undefined): void;
  /** Why a label cannot be learnt by this model (such as too long for its time steps), or undefined; checked before training. */
  labelProblem?(label: string): string | undefined;
}

/** Throws unless `options` asks for nothing the task cannot do (beam search is CTC's). */
export function checkDecodeOptions(spec: TaskSpec, options: DecodeOptions | undefined): void {
  const length = options?.length;
  if (length !== undefined && length !== 'any') {
    if (!isTextLength(length)) throw new RangeError(`--text-length must be whole numbers with 1 <= min <= max, got ${JSON.stringify(length)}`);
    if (spec.name !== 'ctc') throw new Error(`--text-length: reading a given number of characters applies to CTC models; this model's task is ${spec.name}`);
  }
  const beam = options?.beam;
  if (beam === undefined) return;
  if (!Number.isInteger(beam) || beam < 1) throw new RangeError(`--beam must be a positive integer, got ${beam}`);
  if (beam > 1 && spec.name !== 'ctc' && spec.name !== 'seq2seq')
    throw new Error(`--beam ${beam}: beam search applies to CTC and seq2seq models; this model's task is ${spec.name} (read one class per position)`);
}

/**
 * One sample's positions, read as `LabelEncoder.decode` reads them: the
 * argmax classes up to the first blank. The confidence is the product of
 * every position's probability (the blanks' included).
 */
function readPositions(classes: Int32Array, probs: Float32Array, blank: number): Reading {
  const ids: number[] = [];
  const chosen: number[] = [];
  let confidence = 1;
  let open = true;
  for (let k = 0; k < classes.length; k++) {
    confidence *= probs[k]!;
    if (classes[k] === blank) open = false;
    if (!open) continue;
    ids.push(classes[k]!);
    chosen.push(probs[k]!);
  }
  return { ids, probs: chosen, confidence };
}

/**
 * The argmax and its probability at each position of [N, L, C] scores
 * (softmax taken here over C). The blank is the last class: LabelEncoder's
 * default, and the saved models' `blank: 'last'`.
 */
function decodeScores(scores: () => Tensor, options: DecodeOptions | undefined, spec: TaskSpec): Decoded {
  checkDecodeOptions(spec, options);
  let blank = 0;
  const [cls, pr] = tf.tidy(() => {
    const p = tf.softmax(scores(), -1);
    blank = p.shape[2]! - 1;
    return [tf.cast(tf.argMax(p, -1), 'int32'), tf.max(p, -1)];
  });
  try {
    const [n, length] = cls.shape as [number, number];
    const c = cls.dataSync() as Int32Array;
    const p = pr.dataSync() as Float32Array;
    return Array.from({ length: n }, (_, i) => readPositions(c.subarray(i * length, (i + 1) * length), p.subarray(i * length, (i + 1) * length), blank));
  } finally {
    cls.dispose();
    pr.dispose();
  }
}

function disposeCreated(target: Activity | number[][], y: Tensor): void {
  const list = Array.isArray(target) ? target : [target];
  for (const t of list) if (t !== y && t instanceof tf.Tensor) t.dispose();
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
  const spec: TaskSpec = { name: 'text', format };
  return {
    spec,
    criterion: criterion ?? (format === 'tensor' ? new MultiCrossEntropyCriterion() : new SequencerCriterion(new ClassNLLCriterion())),
    target: (y) => (format === 'table' ? tf.unstack(y, 1) : y),
    disposeTarget: disposeCreated,
    decode: (out, options) => decodeScores(() => (Array.isArray(out) ? tf.stack(out as Tensor[], 1) : (out as Tensor)), options, spec),
    meter: (encoder) => new AccuracyMeter(encoder),
  };
}

/** One class per image (top-1 accuracy is the meter's whole-label accuracy). */
export function classificationTask(criterion?: Criterion): Task {
  const spec: TaskSpec = { name: 'classification' };
  return {
    spec,
    criterion: criterion ?? new ClassNLLCriterion(),
    target: (y) => tf.reshape(y, [y.shape[0]!]),
    disposeTarget: disposeCreated,
    decode: (out, options) => decodeScores(() => tf.expandDims(out as Tensor, 1), options, spec),
    meter: (encoder) => new AccuracyMeter(encoder),
  };
}

/**
 * The task trained with label smoothing ε (PyTorch's `label_smoothing`): a
 * classification task's ClassNLLCriterion becomes CrossEntropyCriterion
 * (LogSoftMax of log-probabilities is themselves), a fixed-length text task's
 * MultiCrossEntropyCriterion gets ε. Other tasks, and registered models with
 * their own criterion, are refused rather than changed silently. Disposes
 * the task's criterion when it replaces it; ε = 0 returns the task as it is.
 */
export function labelSmoothedTask(task: Task, eps: number): Task {
  if (eps === 0) return task;
  const spec = JSON.stringify(task.criterion.toSpec());
  const isDefault = (c: Criterion) => spec === JSON.stringify(c.toSpec());
  let criterion: Criterion | undefined;
  if (task.spec.name === 'classification' && isDefault(new ClassNLLCriterion())) criterion = new CrossEntropyCriterion(undefined, true, eps);
  if (task.spec.name === 'text' && task.spec.format === 'tensor' && isDefault(new MultiCrossEntropyCriterion()))
    criterion = new MultiCrossEntropyCriterion(eps);
  if (!criterion)
    throw new Error(
      `--label-smoothing ${eps}: applies to classification models (resnet) and fixed-length text models (cnn) with their default criterion; this model's task is ${task.spec.name} with ${spec}`,
    );
  task.criterion.dispose();
  return { ...task, criterion };
}
