import type { Module } from '@captcha-nn/core';
import type { ImageBuffer, LabelEncoder } from '@captcha-nn/data';
import { letterLogProbs } from './classify';
import { lettersOf, REDDIT_HEIGHT, REDDIT_WIDTH } from './letters';
import { readRender, readRenderFolder } from './renders';
import { REDDIT_SEGMENTATION, type SegmentOptions } from './segment';
import { positionalReading, type RenderReading, voteText } from './vote';

/** The 2016 series' whole-captcha accuracy on reddit's captcha, by renders voted over. */
export const SERIES_POINTS: ReadonlyArray<{ k: number; accuracy: number }> = [
  { k: 10, accuracy: 0.75 },
  { k: 30, accuracy: 0.9 },
  { k: 100, accuracy: 0.96 },
];

export interface AccuracyAtK {
  k: number;
  /** Whole captchas right, over texts and over the disjoint groups of K renders of each. */
  accuracy: number;
  /** Groups of K renders per text (renders / K, rounded down). */
  groups: number;
  /** Groups in which every render failed segmentation (counted wrong). */
  unanswered: number;
}

export interface VoteEvaluation {
  texts: number;
  rendersPerText: number;
  /** Renders dropped for failed segmentation, as a fraction of all. */
  dropRate: number;
  byK: AccuracyAtK[];
  /** One render's letters: right / seen, by true letter, over the renders read. */
  perLetter: Record<string, { seen: number; right: number }>;
  letterAccuracy: number;
  seconds: number;
}

export interface VoteEvaluationOptions {
  ks: number[];
  /** Letters per captcha (default 6). */
  positions?: number;
  /** Renders of each text to read, at least the largest K (default: the largest K). */
  renders?: number;
  /** Called after each text with the figures so far. */
  onText?: (done: number, total: number, sofar: VoteEvaluation) => void;
}

/** Reads a text's renders: a reading of each, or null when it cannot be read (failed segmentation). */
export type RenderReader = (images: ImageBuffer<Uint8Array>[]) => Array<RenderReading | null>;

/** The series' route: segment each render, classify its letters with a letter model. */
export function letterReader(model: Module, seg: SegmentOptions = REDDIT_SEGMENTATION): RenderReader {
  return (images) => {
    const letters = images.map((im) => lettersOf(im, seg));
    const probs = letterLogProbs(
      model,
      letters.flatMap((l) => (typeof l === 'string' ? [] : l)),
    );
    let next = 0;
    return letters.map((l) => {
      if (typeof l === 'string') return null;
      const classes = probs[next]!.length;
      const v = new Float32Array(seg.letters * classes);
      for (let p = 0; p < seg.letters; p++) v.set(probs[next++]!, p * classes);
      return positionalReading(v, seg.letters, classes);
    });
  };
}

/**
 * Reads every text of a folder of renders with `read`, and for each K cuts
 * the renders of a text into disjoint groups of K (renders 0..K-1, K..2K-1,
 * …) whose votes each give one answer.
 */
export async function evaluateVotes(read: RenderReader, encoder: LabelEncoder, dataDir: string, opts: VoteEvaluationOptions): Promise<VoteEvaluation> {
  const t0 = performance.now();
  const positions = opts.positions ?? REDDIT_SEGMENTATION.letters;
  if (!opts.ks.every((k) => Number.isInteger(k) && k >= 1)) throw new RangeError(`K must be positive integers, got ${opts.ks.join(', ')}`);
  const maxK = opts.renders ?? Math.max(...opts.ks);
  if (!(Number.isInteger(maxK) && maxK >= Math.max(...opts.ks)))
    throw new RangeError(`evaluateVotes: renders per text must be an integer at least the largest K (${Math.max(...opts.ks)}), got ${opts.renders}`);
  const texts = await readRenderFolder(dataDir, maxK);
  const classes = encoder.numClasses;
  const perLetter: Record<string, { seen: number; right: number }> = {};
  const counts = new Map<number, { right: number; unanswered: number }>(opts.ks.map((k) => [k, { right: 0, unanswered: 0 }]));
  let dropped = 0;
  for (const [ti, t] of texts.entries()) {
    const truth = [...t.label];
    if (truth.length !== positions) throw new Error(`${dataDir}: text ${t.text} is labelled ${t.label}, not ${positions} letters`);
    const images = await Promise.all(t.files.slice(0, maxK).map((f) => readRender(f, REDDIT_WIDTH, REDDIT_HEIGHT)));
    const votes = read(images);
    for (const v of votes) {
      if (!v) {
        dropped++;
        continue;
      }
      // A reading of another length (CTC) gets no letter right: positions do not align.
      for (let p = 0; p < positions; p++) {
        const score = (perLetter[truth[p]!] ??= { seen: 0, right: 0 });
        score.seen++;
        if (v.ids.length === positions && v.ids[p] === encoder.encode(truth[p]!, 1)[0]) score.right++;
      }
    }
    for (const k of opts.ks) {
      const c = counts.get(k)!;
      for (let g = 0; g + k <= maxK; g += k) {
        const answer = voteText(votes.slice(g, g + k), positions, classes, encoder.blank);
        if (!answer) c.unanswered++;
        else if (encoder.decode(answer) === t.label) c.right++;
      }
    }
    opts.onText?.(ti + 1, texts.length, summary(ti + 1));
  }
  return summary(texts.length);

  function summary(done: number): VoteEvaluation {
    const seen = Object.values(perLetter).reduce((a, s) => a + s.seen, 0);
    const right = Object.values(perLetter).reduce((a, s) => a + s.right, 0);
    return {
      texts: done,
      rendersPerText: maxK,
      dropRate: dropped / (done * maxK),
      byK: opts.ks.map((k) => {
        const groups = Math.floor(maxK / k);
        const c = counts.get(k)!;
        return { k, accuracy: c.right / (done * groups), groups, unanswered: c.unanswered };
      }),
      perLetter: Object.fromEntries(Object.entries(perLetter).sort(([a], [b]) => a.localeCompare(b))),
      letterAccuracy: seen > 0 ? right / seen : 0,
      seconds: (performance.now() - t0) / 1000,
    };
  }
}

/** A fraction as a percentage with one decimal. */
export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The evaluation as Markdown tables: accuracy by K beside the series', then per-letter accuracy. */
export function formatVoteEvaluation(e: VoteEvaluation): string {
  const series = new Map(SERIES_POINTS.map((p) => [p.k, p.accuracy]));
  const lines = [
    `${e.texts} texts x ${e.rendersPerText} renders; ${pct(e.dropRate)} of renders dropped (segmentation); one render's letters ${pct(e.letterAccuracy)} right`,
    '',
    '| K | whole captchas right | groups of K per text | unanswered groups | 2016 series |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...e.byK.map((r) => `| ${r.k} | ${pct(r.accuracy)} | ${r.groups} | ${r.unanswered} | ${series.has(r.k) ? pct(series.get(r.k)!) : ''} |`),
    '',
    '| letter | right | seen |',
    '| :---: | ---: | ---: |',
    ...Object.entries(e.perLetter).map(([l, s]) => `| ${l} | ${pct(s.right / s.seen)} | ${s.seen} |`),
  ];
  return lines.join('\n');
}
