/**
 * Scoring decoded outputs: whole-label and per-character accuracy,
 * per-position accuracy, accuracy by length, character error rate, the
 * commonest edits; and `evaluateModel`,
 * which runs a model over a source through its task.
 */
import { disposeActivity, getWasmThreads, tf, wasmSimd, type WasmSimd, type Activity, type Module, type Tensor } from '@captcha-nn/core';
import { batches, compareAnswers, type AnswerCompare, type ImageSource, type LabelEncoder } from '@captcha-nn/data';
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
  /**
   * With `compare`: whole captchas that pass the site's check (`accuracy`) and that equal the label as written,
   * case-sensitive (`caseSensitive`), both against the labels as written (before any case folding).
   */
  site?: { compare: AnswerCompare; accuracy: number; caseSensitive: number };
  /** With `mistakes`: the most confident wrong readings (by the site's check, else exact), most confident first. */
  mistakes?: Mistake[];
  seconds: number;
  imagesPerSecond: number;
  /** Where it ran: the tfjs backend, and on wasm its threads and our kernels' SIMD build. */
  backend: string;
  threads?: number;
  simd?: WasmSimd;
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
  /** How the task decodes (a CTC beam width). */
  decode?: DecodeOptions;
  /** Also score whole captchas as a site checks them, and case-sensitively (see EvalResult.site). */
  compare?: AnswerCompare;
  /** The label as written of a batch id, where the source folded it (default: the batch's label). */
  writtenLabel?: (id: number | string) => string | undefined;
  /** Keep this many of the most confident mistakes (EvalResult.mistakes). */
  mistakes?: number;
  /**
   * Computes the model's output for a batch in its place, such as a DataParallelTable's `forward`
   * over the training replicas; the output is then this function's, freed after each batch.
   */
  forward?: (x: Tensor) => Promise<Activity>;
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
  let siteRight = 0;
  let exactRight = 0;
  const mistakes = new MistakeList(o.mistakes ?? 0);
  const t0 = performance.now();
  for await (const b of batches(source, { batchSize: o.batchSize ?? 64, shuffle: false, normalize: 'unit' })) {
    let output: Activity | null = null;
    try {
      if (o.shouldStop?.()) return null;
      output = o.forward ? await o.forward(b.x) : model.forward(b.x);
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
      if (o.compare !== undefined || o.mistakes) {
        for (let i = 0; i < d.length; i++) {
          const id = b.ids[i]!;
          const label = o.writtenLabel?.(id) ?? b.labels[i]!;
          const { text, confidence } = textOf(d[i]!, o.encoder);
          const passes = compareAnswers(text, label, o.compare ?? 'exact');
          if (passes) siteRight++;
          if (text === label) exactRight++;
          if (!passes) mistakes.add({ id, label, text, confidence });
        }
      }
      o.onBatch?.(meter.count, source.size);
    } finally {
      if (o.forward && output) disposeActivity(output);
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
    ...(o.compare !== undefined
      ? { site: { compare: o.compare, accuracy: meter.count ? siteRight / meter.count : 0, caseSensitive: meter.count ? exactRight / meter.count : 0 } }
      : {}),
    ...(o.mistakes ? { mistakes: mistakes.items } : {}),
    seconds,
    imagesPerSecond: seconds > 0 ? meter.count / seconds : 0,
    backend: tf.getBackend(),
    ...(tf.getBackend() === 'wasm' ? { threads: getWasmThreads(), simd: wasmSimd() } : {}),
  };
}
