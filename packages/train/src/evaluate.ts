/** Evaluating a saved model on a folder or on generated captchas (the library form of `captcha-nn eval`). */
import { join } from 'node:path';
import type { Tensor } from '@captcha-nn/core';
import {
  decodeImage,
  generatorSource,
  polaritySource,
  readImageFile,
  subset,
  THIRD_PARTY,
  type AnswerCompare,
  type ImageBuffer,
  type ImageSource,
  type LabelSource,
  type LengthSpec,
  type SkippedFile,
} from '@captcha-nn/data';
import { describeCtcReading } from './ctcTask';
import { makeGenerator, openEvalFolder, type GeneratorName } from './data';
import { openIdxSplit, resolveIdxSpec } from './idxData';
import { evaluateModel, type EvalResult } from './metrics';
import { writeMistakesPng } from './mistakes';
import { loadCaptchaModel, type CaptchaModelMetadata, type LoadedCaptchaModel } from './modelio';
import { checkDecodeOptions, type DecodeOptions } from './task';
import { checkTta, TTA_WORDS, ttaForward, type TestTimeAugmentation } from './tta';

export interface EvaluateRequest {
  model: string;
  /** A folder of labelled images; `strict`: a bad file is an error instead of skipped and reported. */
  data?: { dir: string; labels?: LabelSource; strict?: boolean; labelCase?: 'keep' | 'fold' };
  /** The official test split of an IDX dataset (a registered name or a folder); `count`: its first images only. */
  idx?: { dataset?: string; dir?: string; count?: number };
  generate?: {
    generator: GeneratorName;
    preset?: string;
    length?: LengthSpec;
    size?: { width: number; height: number };
    /** mix only: its font families. */
    fonts?: string[];
    count: number;
    seed: string;
  };
  batchSize?: number;
  top?: number;
  /** How the model's task decodes (a CTC beam width, the text lengths read); absent: the model's default. */
  decode?: DecodeOptions;
  /** Score whole captchas as a site checks answers too, beside the case-sensitive figure (EvalResult.site). */
  compare?: AnswerCompare;
  /** Write a PNG of the most confident mistakes here (`mistakes` of them, default 24). */
  mistakesPng?: string;
  mistakes?: number;
  /** Test-time augmentation: `flip` averages each image's mirror in (classifiers only), `shift` copies moved up and down (tta.ts). */
  tta?: TestTimeAugmentation;
}

/** Opens the model and the images and scores them (library form of `captcha-nn eval`). */
export async function evaluateRun(
  req: EvaluateRequest,
  loaded?: LoadedCaptchaModel,
): Promise<EvalResult & { source: string; reading?: string; skipped: SkippedFile[] }> {
  const m = loaded ?? (await loadCaptchaModel(req.model, { foldBatchNorm: true }));
  checkDecodeOptions(m.task.spec, req.decode);
  checkTta(m.task.spec, req.tta);
  const {
    source,
    what,
    skipped = [],
    writtenLabel,
    originalImage,
  } = req.data
    ? await folderEvalSource(req.data, m.metadata)
    : req.idx
      ? await idxEvalSource(req.idx, m.metadata)
      : req.generate
        ? generatedEvalSource(req.generate, m.metadata)
        : failNoSource();
  const mistakes = req.mistakesPng ? (req.mistakes ?? 24) : req.mistakes;
  const augmented = req.tta ? ttaForward(m.model, req.tta) : undefined;
  const r = (await evaluateModel(m.model, source, {
    batchSize: req.batchSize ?? 64,
    encoder: m.encoder,
    task: m.task,
    topConfusions: req.top ?? 10,
    ...(req.decode ? { decode: req.decode } : {}),
    ...(req.compare ? { compare: req.compare } : {}),
    ...(writtenLabel ? { writtenLabel } : {}),
    ...(mistakes ? { mistakes } : {}),
    ...(augmented ? { forward: async (x: Tensor) => augmented(x) } : {}),
  }))!;
  if (req.mistakesPng) {
    if (!r.mistakes?.length) throw new Error(`eval: no mistakes to draw in ${req.mistakesPng} (every captcha passed)`);
    const asSeen = async (id: number | string) => (await source.load(typeof id === 'number' ? id : Number.NaN))!.image;
    const tiles = await Promise.all(r.mistakes.map(async (x) => ({ ...x, name: String(x.id), image: await (originalImage ?? asSeen)(x.id) })));
    const how = req.compare && req.compare !== 'exact' ? `, as ${req.compare} checks answers` : '';
    await writeMistakesPng(req.mistakesPng, tiles, {
      title: `${tiles.length} most confident mistakes of ${r.count}${how} (${what})`,
      ...(req.compare ? { compare: req.compare } : {}),
    });
  }
  return {
    ...r,
    source: req.tta ? `${what}, each read ${TTA_WORDS[req.tta]} (--tta ${req.tta})` : what,
    ...(m.task.spec.name === 'ctc' ? { reading: describeCtcReading(m.task.spec, req.decode) } : {}),
    skipped,
  };
}

/** The images eval reads, described for its report. */
interface EvalSource {
  source: ImageSource;
  what: string;
  skipped?: SkippedFile[];
  /** A label as its file wrote it, where reading changed it (case folded). */
  writtenLabel?: (id: number | string) => string | undefined;
  /** The image as the user has it, for the mistakes PNG (default: as the model saw it). */
  originalImage?: (id: number | string) => Promise<ImageBuffer<Uint8Array>>;
}

function failNoSource(): never {
  throw new Error('nothing to evaluate on: pass --data DIR, --dataset NAME, --data-idx DIR or --generate simple|svg|mix');
}

/** A labelled folder, read with the model's preprocessing. */
async function folderEvalSource(data: NonNullable<EvaluateRequest['data']>, meta: CaptchaModelMetadata): Promise<EvalSource> {
  const ds = await openEvalFolder(data.dir, meta.preprocessing, meta.charset, meta.length, {
    labels: data.labels,
    strict: data.strict,
    labelCase: data.labelCase,
  });
  const written = new Map(ds.entries.filter((e) => e.written !== undefined).map((e) => [e.file, e.written!]));
  return {
    source: ds,
    what: `${data.dir} (${ds.skippedSummary()})`,
    skipped: ds.skipped,
    writtenLabel: (id) => written.get(String(id)),
    originalImage: async (id) => decodeImage(await readImageFile(join(ds.dir, String(id))), { channels: 'rgb', name: String(id) }),
  };
}

/** An IDX dataset's official test split, or its first `count` images. */
async function idxEvalSource(idx: NonNullable<EvaluateRequest['idx']>, meta: CaptchaModelMetadata): Promise<EvalSource> {
  const test = await openIdxSplit({ kind: 'idx', ...idx }, 't10k');
  const { width, height, channels } = meta.input;
  if (test.width !== width || test.height !== height || test.channels !== channels)
    throw new Error(`the test images are ${test.width}x${test.height}x${test.channels}, the model reads ${width}x${height}x${channels}`);
  if (test.encoder.charset !== meta.charset) throw new Error(`the dataset's classes "${test.encoder.charset}" are not the model's "${meta.charset}"`);
  const n = Math.min(idx.count ?? test.size, test.size);
  return {
    source:
      n < test.size
        ? subset(
            test,
            Int32Array.from({ length: n }, (_, i) => i),
          )
        : test,
    what: `${n < test.size ? `the first ${n} of ` : ''}the official test split of ${resolveIdxSpec({ kind: 'idx', ...idx }).name}`,
  };
}

/** Captchas drawn on the fly at the model's input size, charset and length. */
function generatedEvalSource(g: NonNullable<EvaluateRequest['generate']>, meta: CaptchaModelMetadata): EvalSource {
  const gen = makeGenerator(
    {
      generator: g.generator,
      preset: (g.preset ?? 'seed') as never,
      // The mix draws 4-8 characters by default: up to what the model reads.
      length: g.length ?? (g.generator === 'mix' ? [Math.min(4, meta.length), meta.length] : meta.length),
      size: g.size ?? { width: meta.input.width, height: meta.input.height },
      charset: meta.charset,
      fonts: g.fonts,
    },
    g.seed,
  );
  if (gen.width !== meta.input.width || gen.height !== meta.input.height)
    throw new Error(`--size ${gen.width}x${gen.height} differs from the model's input ${meta.input.width}x${meta.input.height}`);
  if (gen.maxLength > meta.length) throw new Error(`--length up to ${gen.maxLength} is longer than the ${meta.length} characters the model reads`);
  return {
    source: {
      ...polaritySource(generatorSource(gen, { count: g.count, format: meta.preprocessing.channels }), meta.preprocessing.polarity ?? 'keep'),
      maxLength: meta.length,
    },
    what: `${g.count} generated ${g.generator} captchas (seed ${g.seed})`,
  };
}

/** How each compare reads, for the report. */
const COMPARE_WORDS: Record<AnswerCompare, string> = {
  exact: 'case-sensitive',
  lower: 'ignoring case',
  gregwar: `as ${THIRD_PARTY.gregwar.library} checks: case ignored, 0=o, 1=l`,
  django: `as ${THIRD_PARTY.django.library} checks: case ignored`,
};

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function formatEval(r: EvalResult & { source: string; reading?: string; skipped?: SkippedFile[] }, opts: { verbose?: boolean } = {}): string {
  const lines = [
    `${r.count} captchas from ${r.source}`,
    ...(r.reading ? [`read                    ${r.reading}`] : []),
    `whole-captcha accuracy  ${pct(r.captchaAccuracy)}`,
    ...(r.site ? [`  as the site checks    ${pct(r.site.accuracy)} (${COMPARE_WORDS[r.site.compare]})  |  case-sensitive ${pct(r.site.caseSensitive)}`] : []),
    `per-character accuracy  ${pct(r.charAccuracy)}`,
    `per position            ${r.perPosition.map((a, i) => `${i + 1}: ${pct(a)}`).join('  ')}`,
    `character error rate    ${pct(r.cer)}`,
    ...(r.byLength.length > 1 ? [`by length               ${r.byLength.map((l) => `${l.length}: ${pct(l.accuracy)} of ${l.count}`).join('  ')}`] : []),
    `speed                   ${r.imagesPerSecond.toFixed(1)} images/s (${r.seconds.toFixed(2)} s; ${r.backend}${r.threads ? `, ${r.threads} thread${r.threads > 1 ? 's' : ''}` : ''}${r.simd ? `, ${r.simd} SIMD` : ''})`,
  ];
  if (opts.verbose) for (const f of r.skipped ?? []) lines.push(`skipped ${f.file}: ${f.reason}`);
  if (r.confusions.length) {
    lines.push('most common errors (truth -> predicted: count)');
    for (const c of r.confusions) lines.push(`  ${c.truth === '' ? '(nothing)' : c.truth} -> ${c.predicted === '' ? '(nothing)' : c.predicted}: ${c.count}`);
  } else {
    lines.push('no character errors');
  }
  return lines.join('\n');
}
