/**
 * Scoring decoded outputs: whole-label and per-character accuracy,
 * per-position accuracy, confused character pairs; and `evaluateModel`,
 * which runs a model over a source through its task.
 */
import type { Activity, Module, Tensor } from '@captcha-nn/core';
import { batches, compareAnswers, type AnswerCompare, type ImageSource, type LabelEncoder } from '@captcha-nn/data';
import type { Task } from './task';

/** Argmax classes [N·L] and the chosen classes' probabilities [N·L]. */
export interface Decoded {
  n: number;
  length: number;
  classes: Int32Array;
  probs: Float32Array;
}

/** Text of sample i (stopping at the first blank) and its confidence: the product of the per-position probabilities. */
export function textOf(d: Decoded, i: number, encoder: LabelEncoder): { text: string; confidence: number } {
  const cls = d.classes.subarray(i * d.length, (i + 1) * d.length);
  let confidence = 1;
  for (let k = 0; k < d.length; k++) confidence *= d.probs[i * d.length + k]!;
  return { text: encoder.decode(cls), confidence };
}

export interface Confusion {
  truth: string;
  predicted: string;
  count: number;
}

export interface EvalResult {
  count: number;
  /** Whole labels read exactly: whole captchas for text, top-1 for classification. */
  captchaAccuracy: number;
  /** Characters of the true labels read right at their position. */
  charAccuracy: number;
  /** charAccuracy at each position (over the labels that long). */
  perPosition: number[];
  /** The most frequent (truth, predicted) pairs among wrong characters; a missing character is predicted as ''. */
  confusions: Confusion[];
  /** Mean loss, where a criterion was given. */
  loss?: number;
  /**
   * With `compare`: whole captchas that pass the site's check (`accuracy`) and that equal the label as written,
   * case-sensitive (`caseSensitive`), both against the labels as written (before any case folding).
   */
  site?: { compare: AnswerCompare; accuracy: number; caseSensitive: number };
  /** With `mistakes`: the most confident wrong readings (by the site's check, else exact), most confident first. */
  mistakes?: Mistake[];
  seconds: number;
  imagesPerSecond: number;
}

/** Accumulates accuracy over batches. */
export class AccuracyMeter {
  count = 0;
  captchasRight = 0;
  charsRight = 0;
  chars = 0;
  posRight: number[] = [];
  posTotal: number[] = [];
  private pairs = new Map<string, number>();

  constructor(private readonly encoder: LabelEncoder) {}

  /** Adds a decoded batch against its labels. */
  add(d: Decoded, labels: string[]): void {
    for (let i = 0; i < d.n; i++) {
      const label = labels[i]!;
      const truth = [...label];
      const cls = d.classes.subarray(i * d.length, (i + 1) * d.length);
      if (this.encoder.decode(cls) === label) this.captchasRight++;
      for (let k = 0; k < truth.length; k++) {
        const want = this.encoder.encode(truth[k]!, 1)[0]!;
        const got = k < d.length ? cls[k]! : this.encoder.blank;
        const ok = got === want;
        this.chars++;
        this.posTotal[k] = (this.posTotal[k] ?? 0) + 1;
        if (ok) {
          this.charsRight++;
          this.posRight[k] = (this.posRight[k] ?? 0) + 1;
        } else {
          const predicted = got === this.encoder.blank ? '' : this.encoder.decode([got]);
          const key = `${truth[k]}\u0000${predicted}`;
          this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
        }
      }
      this.count++;
    }
  }

  get captchaAccuracy(): number {
    return this.count ? this.captchasRight / this.count : 0;
  }

  get charAccuracy(): number {
    return this.chars ? this.charsRight / this.chars : 0;
  }

  perPosition(): number[] {
    return this.posTotal.map((t, k) => (t ? (this.posRight[k] ?? 0) / t : 0));
  }

  confusions(top = 10): Confusion[] {
    return [...this.pairs]
      .map(([k, count]) => {
        const [truth, predicted] = k.split('\u0000') as [string, string];
        return { truth, predicted, count };
      })
      .sort((a, b) => b.count - a.count || (a.truth + a.predicted < b.truth + b.predicted ? -1 : 1))
      .slice(0, top);
  }
}

export interface Mistake {
  /** The source's id of the image: its file name (folders) or index. */
  id: number | string;
  /** The label as written. */
  label: string;
  text: string;
  confidence: number;
}

/** Keeps the `n` most confident mistakes. */
class MistakeList {
  readonly items: Mistake[] = [];
  constructor(private readonly n: number) {}
  add(m: Mistake): void {
    if (this.n <= 0) return;
    if (this.items.length === this.n && m.confidence <= this.items[this.n - 1]!.confidence) return;
    this.items.push(m);
    this.items.sort((a, b) => b.confidence - a.confidence);
    if (this.items.length > this.n) this.items.pop();
  }
}

export interface EvaluateOptions {
  batchSize?: number;
  encoder: LabelEncoder;
  /** Decodes and scores the outputs. */
  task: Task;
  /** Also compute the mean loss with the task's criterion. */
  withLoss?: boolean;
  /** Checked between batches; evaluation stops early (returns null) when it returns true. */
  shouldStop?: () => boolean;
  onBatch?: (done: number, total: number) => void;
  topConfusions?: number;
  /** Also score whole captchas as a site checks them, and case-sensitively (see EvalResult.site). */
  compare?: AnswerCompare;
  /** The label as written of a batch id, where the source folded it (default: the batch's label). */
  writtenLabel?: (id: number | string) => string | undefined;
  /** Keep this many of the most confident mistakes (EvalResult.mistakes). */
  mistakes?: number;
}

/** The criterion's loss on a batch's output. */
export function taskLoss(task: Task, output: Activity, y: Tensor): number {
  const t = task.target(y);
  try {
    return task.criterion.forward(output, t);
  } finally {
    task.disposeTarget(t, y);
  }
}

/** Scores a model (put in evaluate mode) on every image of a source. */
export async function evaluateModel(model: Module, source: ImageSource, o: EvaluateOptions): Promise<EvalResult | null> {
  model.evaluate();
  const meter = o.task.meter(o.encoder);
  let lossSum = 0;
  let lossN = 0;
  let siteRight = 0;
  let exactRight = 0;
  const mistakes = new MistakeList(o.mistakes ?? 0);
  const t0 = performance.now();
  for await (const b of batches(source, { batchSize: o.batchSize ?? 64, shuffle: false, normalize: 'unit' })) {
    try {
      if (o.shouldStop?.()) return null;
      const output = model.forward(b.x);
      const d = o.task.decode(output);
      if (o.withLoss) {
        lossSum += taskLoss(o.task, output, b.y) * d.n;
        lossN += d.n;
      }
      meter.add(d, b.labels);
      if (o.compare !== undefined || o.mistakes) {
        for (let i = 0; i < d.n; i++) {
          const id = b.ids[i]!;
          const label = o.writtenLabel?.(id) ?? b.labels[i]!;
          const { text, confidence } = textOf(d, i, o.encoder);
          const passes = compareAnswers(text, label, o.compare ?? 'exact');
          if (passes) siteRight++;
          if (text === label) exactRight++;
          if (!passes) mistakes.add({ id, label, text, confidence });
        }
      }
      o.onBatch?.(meter.count, source.size);
    } finally {
      b.dispose();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    count: meter.count,
    captchaAccuracy: meter.captchaAccuracy,
    charAccuracy: meter.charAccuracy,
    perPosition: meter.perPosition(),
    confusions: meter.confusions(o.topConfusions ?? 10),
    ...(o.withLoss ? { loss: lossN ? lossSum / lossN : NaN } : {}),
    ...(o.compare !== undefined
      ? { site: { compare: o.compare, accuracy: meter.count ? siteRight / meter.count : 0, caseSensitive: meter.count ? exactRight / meter.count : 0 } }
      : {}),
    ...(o.mistakes ? { mistakes: mistakes.items } : {}),
    seconds,
    imagesPerSecond: seconds > 0 ? meter.count / seconds : 0,
  };
}
