/**
 * Scoring decoded outputs: whole-label and per-character accuracy,
 * per-position accuracy, confused character pairs; and `evaluateModel`,
 * which runs a model over a source through its task.
 */
import type { Activity, Module, Tensor } from '@captcha-nn/core';
import { batches, type ImageSource, type LabelEncoder } from '@captcha-nn/data';
import { disposeInput, trainingInput, type Task } from './task';

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
  const t0 = performance.now();
  for await (const b of batches(source, { batchSize: o.batchSize ?? 64, shuffle: false, normalize: 'unit' })) {
    try {
      if (o.shouldStop?.()) return null;
      const output = model.forward(b.x);
      const d = o.task.decode(output);
      if (o.withLoss) {
        // A model that reads its labels in training (teacher forcing) is scored on that output.
        const input = trainingInput(o.task, b.x, b.y);
        try {
          lossSum += taskLoss(o.task, input === b.x ? output : model.forward(input), b.y) * d.n;
        } finally {
          disposeInput(input, b.x);
        }
        lossN += d.n;
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
    confusions: meter.confusions(o.topConfusions ?? 10),
    ...(o.withLoss ? { loss: lossN ? lossSum / lossN : NaN } : {}),
    seconds,
    imagesPerSecond: seconds > 0 ? meter.count / seconds : 0,
  };
}
