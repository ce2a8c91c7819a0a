/**
 * Scoring decoded outputs: whole-label and per-character accuracy,
 * per-position accuracy, accuracy by length, character error rate, the
 * commonest edits; and `evaluateModel`,
 * which runs a model over a source through its task.
 */
import type { Activity, Module, Tensor } from '@captcha-nn/core';
import { batches, type ImageSource, type LabelEncoder } from '@captcha-nn/data';
import { alignEdits } from './editDistance';
import { disposeInput, trainingInput, type DecodeOptions, type Task } from './task';

/** One sample's reading. */
export interface Reading {
  /** The class ids read, in order (no blanks). */
  ids: number[];
  /** Each read character's probability. */
  probs: number[];
  /** The whole reading's probability, as its task estimates it (fixed-length text: the product over every position). */
  confidence: number;
}

/** A batch's readings, one per sample (what a task's `decode` returns). */
export type Decoded = Reading[];

/** The text of a reading and its confidence. */
export function textOf(r: Reading, encoder: LabelEncoder): { text: string; confidence: number } {
  return { text: encoder.decode(r.ids), confidence: r.confidence };
}

export interface Confusion {
  truth: string;
  predicted: string;
  count: number;
}

/** Whole-label accuracy over the labels of one length. */
export interface LengthAccuracy {
  length: number;
  count: number;
  accuracy: number;
}

export interface EvalResult {
  count: number;
  /** Whole labels read exactly: whole captchas for text, top-1 for classification. */
  captchaAccuracy: number;
  /** Characters of the true labels read right at their position. */
  charAccuracy: number;
  /** charAccuracy at each position (over the labels that long). */
  perPosition: number[];
  /** Character error rate: the summed edit (Levenshtein) distances of the readings over the summed lengths of the true labels. */
  cer: number;
  /** captchaAccuracy per true label length, shortest first. */
  byLength: LengthAccuracy[];
  /**
   * The most frequent edits aligning the readings with the true labels (a
   * minimal Levenshtein alignment): substitutions (truth, predicted), missed
   * characters (truth, '') and extra ones ('', predicted).
   */
  confusions: Confusion[];
  /** Mean loss, where a criterion was given. */
  loss?: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Accumulates accuracy over batches. */
export class AccuracyMeter {
  count = 0;
  captchasRight = 0;
  charsRight = 0;
  chars = 0;
  /** Summed edit distances of the readings from the true labels. */
  edits = 0;
  posRight: number[] = [];
  posTotal: number[] = [];
  private lengths = new Map<number, { count: number; right: number }>();
  private pairs = new Map<string, number>();

  constructor(private readonly encoder: LabelEncoder) {}

  /** Adds a decoded batch against its labels. */
  add(d: Decoded, labels: string[]): void {
    if (d.length !== labels.length) throw new Error(`AccuracyMeter: ${d.length} readings for ${labels.length} labels`);
    d.forEach((r, i) => {
      const label = labels[i]!;
      const truth = [...label];
      const read = [...this.encoder.decode(r.ids)];
      const right = read.join('') === label;
      if (right) this.captchasRight++;
      const byLen = this.lengths.get(truth.length) ?? { count: 0, right: 0 };
      byLen.count++;
      if (right) byLen.right++;
      this.lengths.set(truth.length, byLen);
      for (let k = 0; k < truth.length; k++) {
        this.chars++;
        this.posTotal[k] = (this.posTotal[k] ?? 0) + 1;
        if (read[k] === truth[k]) {
          this.charsRight++;
          this.posRight[k] = (this.posRight[k] ?? 0) + 1;
        }
      }
      if (!right) {
        const { distance, ops } = alignEdits(truth, read);
        this.edits += distance;
        for (const o of ops) {
          if (o.op === 'match') continue;
          const key = `${o.truth}\u0000${o.pred}`;
          this.pairs.set(key, (this.pairs.get(key) ?? 0) + 1);
        }
      }
      this.count++;
    });
  }

  get captchaAccuracy(): number {
    return this.count ? this.captchasRight / this.count : 0;
  }

  get charAccuracy(): number {
    return this.chars ? this.charsRight / this.chars : 0;
  }

  /** Character error rate (edits per true character). */
  get cer(): number {
    return this.chars ? this.edits / this.chars : 0;
  }

  perPosition(): number[] {
    return this.posTotal.map((t, k) => (t ? (this.posRight[k] ?? 0) / t : 0));
  }

  byLength(): LengthAccuracy[] {
    return [...this.lengths].sort((a, b) => a[0] - b[0]).map(([length, { count, right }]) => ({ length, count, accuracy: count ? right / count : 0 }));
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
  /** How the task decodes (a CTC beam width). */
  decode?: DecodeOptions;
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
  o.task.configureModel?.(model, o.decode);
  const meter = o.task.meter(o.encoder);
  let lossSum = 0;
  let lossN = 0;
  const t0 = performance.now();
  for await (const b of batches(source, { batchSize: o.batchSize ?? 64, shuffle: false, normalize: 'unit' })) {
    try {
      if (o.shouldStop?.()) return null;
      const output = model.forward(b.x);
      const d = o.task.decode(output, o.decode);
      if (o.withLoss) {
        // A model that reads its labels in training (teacher forcing) is scored on that output.
        const input = trainingInput(o.task, b.x, b.y);
        try {
          lossSum += taskLoss(o.task, input === b.x ? output : model.forward(input), b.y) * d.length;
        } finally {
          disposeInput(input, b.x);
        }
        lossN += d.length;
      }
      meter.add(d, b.labels);
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
    cer: meter.cer,
    byLength: meter.byLength(),
    confusions: meter.confusions(o.topConfusions ?? 10),
    ...(o.withLoss ? { loss: lossN ? lossSum / lossN : NaN } : {}),
    seconds,
    imagesPerSecond: seconds > 0 ? meter.count / seconds : 0,
  };
}
