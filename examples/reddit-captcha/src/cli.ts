import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ready, setBackend } from '@captcha-nn/core';
import { type CaptchaModelMetadata, loadCaptchaModel } from '@captcha-nn/train';
import { type Command, InvalidArgumentError } from 'commander';
import { evaluateVotes, formatVoteEvaluation, letterReader, pct } from './evaluate';
import { writeDenoisedFolder } from './denoiseFolder';
import { wholeImageReader } from './wholeImage';
import { LETTER_SIZE } from './letterImage';
import { REDDIT_HEIGHT, REDDIT_WIDTH, writeLetterFolder } from './letters';
import { plotAccuracyByK } from './plot';
import { REDDIT_SEGMENTATION, type SegmentOptions } from './segment';
import { changedSettings, tuneSegmentation } from './tune';

function parseKs(v: string): number[] {
  const ks = v.split(',').map((s) => Number(s.trim()));
  if (ks.length === 0 || !ks.every((k) => Number.isInteger(k) && k >= 1))
    throw new InvalidArgumentError('expected positive integers separated by commas, e.g. 1,3,10,30,100.');
  return [...new Set(ks)].sort((a, b) => a - b);
}

/**
 * Segmentation settings from a JSON file (`tune` writes one): the values it
 * names replace REDDIT_SEGMENTATION's; an unknown name or a value of the
 * wrong type is an error naming it.
 */
export async function readSegmentation(file: string): Promise<SegmentOptions> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a segmentation JSON file (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: expected a JSON object of segmentation settings`);
  const out: SegmentOptions = { ...REDDIT_SEGMENTATION };
  for (const [k, v] of Object.entries(json)) {
    if (!(k in REDDIT_SEGMENTATION)) throw new Error(`${file}: unknown segmentation setting '${k}' (known: ${Object.keys(REDDIT_SEGMENTATION).join(', ')})`);
    const want = typeof REDDIT_SEGMENTATION[k as keyof SegmentOptions];
    if (typeof v !== want || (want === 'number' && !Number.isFinite(v)))
      throw new Error(`${file}: segmentation setting '${k}' is ${JSON.stringify(v)} (expected a ${want})`);
    (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/**
 * The models `eval` can vote with: a letter model reading gray
 * LETTER_SIZE² letters, or a text model (fixed-length or CTC) reading whole
 * gray 120×50 renders of `letters` characters. Anything else is an error
 * naming the folder.
 */
export function checkReaderModel(m: Pick<CaptchaModelMetadata, 'task' | 'input' | 'length'>, where: string, letters: number): void {
  const { width, height, channels } = m.input;
  if (m.task.name === 'classification') {
    if (width !== LETTER_SIZE || height !== LETTER_SIZE || channels !== 1)
      throw new Error(`${where}: a letter model for ${width}x${height}x${channels} images; segmented letters are ${LETTER_SIZE}x${LETTER_SIZE}x1 (gray)`);
    return;
  }
  if (m.task.name !== 'text' && m.task.name !== 'ctc')
    throw new Error(`${where}: a ${m.task.name} model; eval votes with letter models (reddit-letter) and whole-image text models (cnn, crnn, ctc)`);
  if (width !== REDDIT_WIDTH || height !== REDDIT_HEIGHT || channels !== 1 || m.length !== letters) {
    throw new Error(
      `${where}: a text model for ${width}x${height}x${channels} images of ${m.length} characters; reddit renders are ${REDDIT_WIDTH}x${REDDIT_HEIGHT}x1 (gray), ${letters} letters`,
    );
  }
}

const SEGMENTATION_OPTION = ['--segmentation <file>', 'segmentation settings (JSON, as tune writes; default: REDDIT_SEGMENTATION)'] as const;

/** `letters`, `denoise`, `eval` and `tune`: the series' route from renders to a letter folder, and from a trained letter model to votes. */
export function registerRedditCommands(program: Command): Command {
  addLettersCommand(program);
  addDenoiseCommand(program);
  addVoteEvalCommand(program);
  addTuneCommand(program);
  return program;
}

/** `letters`: segment every render of a folder into letter images. */
function addLettersCommand(program: Command): void {
  program
    .command('letters')
    .description('Segment every render of a folder (<text>-<render>_<label>.png) and write its letters as <text>-<render>-<position>_<letter>.png')
    .requiredOption('-d, --data <dir>', 'folder of renders (captcha-nn generate --generator reddit --renders K)')
    .requiredOption('-o, --out <dir>', 'folder for the letter images')
    .option(...SEGMENTATION_OPTION)
    .action(async (o: { data: string; out: string; segmentation?: string }) => {
      const s = await writeLetterFolder(o.data, o.out, o.segmentation ? await readSegmentation(o.segmentation) : REDDIT_SEGMENTATION);
      const reasons = Object.entries(s.reasons)
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${r}: ${n}`)
        .join(', ');
      process.stdout.write(
        `${s.renders} renders, ${s.dropped} dropped (${((100 * s.dropped) / s.renders).toFixed(1)}%${reasons ? `; ${reasons}` : ''}); wrote ${s.letters} letters to ${o.out}\n`,
      );
    });
}

/** `denoise`: write every render of a folder denoised. */
function addDenoiseCommand(program: Command): void {
  program
    .command('denoise')
    .description("Write every render of a folder denoised (ink 255, the rest 0; the segmentation's threshold), for whole-image models read with eval --denoise")
    .requiredOption('-d, --data <dir>', 'folder of renders (captcha-nn generate --generator reddit --renders K)')
    .requiredOption('-o, --out <dir>', 'folder for the denoised renders (same file names)')
    .option(...SEGMENTATION_OPTION)
    .action(async (o: { data: string; out: string; segmentation?: string }) => {
      const { threshold } = o.segmentation ? await readSegmentation(o.segmentation) : REDDIT_SEGMENTATION;
      const n = await writeDenoisedFolder(o.data, o.out, threshold);
      process.stdout.write(`${n} renders denoised at threshold ${threshold}, written to ${o.out}\n`);
    });
}

/** `eval`: whole-captcha accuracy voted over K renders of each text. */
function addVoteEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('Whole-captcha accuracy voting over K renders of each text, per-letter accuracy and the drop rate')
    .requiredOption(
      '-m, --model <dir>',
      'run folder (runs/NAME) or model folder: a letter model (reddit-letter; renders are segmented) or a text model reading whole 120x50 renders (cnn, crnn, ctc)',
    )
    .requiredOption('-d, --data <dir>', 'folder of renders of texts never trained on, at least max K renders each')
    .option('-k, --renders <list>', 'K values', parseKs, [1, 3, 10, 30, 100])
    .option('-o, --out <dir>', 'write results.json and accuracy-by-k.png here')
    .option('--backend <name>', 'tfjs backend (default wasm, or CAPTCHA_NN_BACKEND)')
    .option(...SEGMENTATION_OPTION)
    .option('--denoise', 'whole-image models: read each render denoised, as the denoise command writes them (for models trained on denoised renders)')
    .action(async (o: { model: string; data: string; renders: number[]; out?: string; backend?: string; segmentation?: string; denoise?: boolean }) => {
      const seg = o.segmentation ? await readSegmentation(o.segmentation) : REDDIT_SEGMENTATION;
      await (o.backend ? setBackend(o.backend) : ready());
      const m = await loadCaptchaModel(o.model, { foldBatchNorm: true });
      const letters = m.metadata.task.name === 'classification';
      try {
        checkReaderModel(m.metadata, o.model, seg.letters);
        if (letters && o.denoise) throw new Error(`${o.model}: --denoise is for whole-image models; a letter model's renders are denoised by segmentation`);
        const { task } = m.metadata;
        const read = letters
          ? letterReader(m.model, seg)
          : wholeImageReader(m.model, { ...(task.name === 'ctc' ? { blank: task.blank } : {}), ...(o.denoise ? { denoise: seg.threshold } : {}) });
        const e = await evaluateVotes(read, m.encoder, o.data, {
          ks: o.renders,
          onText: (done, total, sofar) => {
            if (done % 10 === 0 || done === total) {
              const byK = sofar.byK.map((r) => `K=${r.k} ${(100 * r.accuracy).toFixed(1)}%`).join(', ');
              process.stderr.write(`${done}/${total} texts: ${byK}; dropped ${(100 * sofar.dropRate).toFixed(1)}%\n`);
            }
          },
        });
        process.stdout.write(`${formatVoteEvaluation(e)}\n`);
        if (o.out) {
          await mkdir(o.out, { recursive: true });
          await writeFile(join(o.out, 'results.json'), `${JSON.stringify(e, null, 2)}\n`);
          await writeFile(
            join(o.out, 'accuracy-by-k.png'),
            plotAccuracyByK(
              e.byK,
              `reddit captcha: ${e.texts} unseen texts, ${letters ? 'letters' : o.denoise ? 'whole denoised images' : 'whole images'} voted over K renders`,
            ),
          );
        }
      } finally {
        m.model.dispose();
      }
    });
}

/** `tune`: choose the segmentation settings on held-out renders. */
function addTuneCommand(program: Command): void {
  program
    .command('tune')
    .description(
      'Tune the segmentation (denoise threshold, component size limits, too many segments) on held-out renders: texts in neither the training nor the test set',
    )
    .requiredOption('-m, --model <dir>', 'a trained letter model (reddit-letter)')
    .requiredOption('-d, --data <dir>', 'held-out renders (captcha-nn generate --generator reddit --renders K --seed <not train, not test>)')
    .option('-k, --renders <n>', 'renders of each held-out text to read (at most what the folder has)', (v) => Number(v), 20)
    .option('--passes <n>', 'passes over the grid at most (it stops after one that changes nothing)', (v) => Number(v), 2)
    .option('-o, --out <file>', 'write the chosen settings here (JSON, for --segmentation)')
    .option('--backend <name>', 'tfjs backend (default wasm, or CAPTCHA_NN_BACKEND)')
    .action(async (o: { model: string; data: string; renders: number; passes: number; out?: string; backend?: string }) => {
      if (!(Number.isInteger(o.passes) && o.passes >= 1)) throw new InvalidArgumentError(`--passes: expected a positive integer, got ${o.passes}`);
      await (o.backend ? setBackend(o.backend) : ready());
      const m = await loadCaptchaModel(o.model, { foldBatchNorm: true });
      try {
        if (m.metadata.task.name !== 'classification')
          throw new Error(`${o.model}: tune needs a letter model (reddit-letter), not a ${m.metadata.task.name} model`);
        const row = (t: { options: SegmentOptions; captcha: number; letters: number; dropRate: number }) =>
          `| ${changedSettings(t.options)} | ${pct(t.captcha)} | ${pct(t.letters)} | ${pct(t.dropRate)} |`;
        process.stdout.write(
          '| settings changed from REDDIT_SEGMENTATION | one render: captcha right | letters right | dropped |\n| --- | ---: | ---: | ---: |\n',
        );
        const r = await tuneSegmentation(m.model, m.encoder, o.data, {
          maxPasses: o.passes,
          renders: o.renders,
          onTrial: (t) => process.stdout.write(`${row(t)}\n`),
        });
        process.stdout.write(
          `\nchosen after ${r.passes} pass(es), ${r.trials.length} settings tried: ${changedSettings(r.best.options)}\n` +
            `held-out: one render's captcha ${pct(r.start.captcha)} -> ${pct(r.best.captcha)}, letters ${pct(r.start.letters)} -> ${pct(r.best.letters)}, ` +
            `dropped ${pct(r.start.dropRate)} -> ${pct(r.best.dropRate)}\n${JSON.stringify(r.best.options)}\n`,
        );
        if (o.out) await writeFile(o.out, `${JSON.stringify(r.best.options, null, 2)}\n`);
      } finally {
        m.model.dispose();
      }
    });
}
