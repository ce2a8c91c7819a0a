import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ready, setBackend } from '@captcha-nn/core';
import { loadCaptchaModel } from '@captcha-nn/train';
import { type Command, InvalidArgumentError } from 'commander';
import { evaluateVotes, formatVoteEvaluation, letterReader } from './evaluate';
import { wholeImageReader } from './wholeImage';
import { writeLetterFolder } from './letters';
import { plotAccuracyByK } from './plot';

function parseKs(v: string): number[] {
  const ks = v.split(',').map((s) => Number(s.trim()));
  if (ks.length === 0 || !ks.every((k) => Number.isInteger(k) && k >= 1))
    throw new InvalidArgumentError('expected positive integers separated by commas, e.g. 1,3,10,30,100.');
  return [...new Set(ks)].sort((a, b) => a - b);
}

/** `letters` and `eval`: the series' route from renders to a letter folder, and from a trained letter model to votes. */
export function registerRedditCommands(program: Command): Command {
  program
    .command('letters')
    .description('Segment every render of a folder (<text>-<render>_<label>.png) and write its letters as <text>-<render>-<position>_<letter>.png')
    .requiredOption('-d, --data <dir>', 'folder of renders (captcha-nn generate --generator reddit --renders K)')
    .requiredOption('-o, --out <dir>', 'folder for the letter images')
    .action(async (o: { data: string; out: string }) => {
      const s = await writeLetterFolder(o.data, o.out);
      const reasons = Object.entries(s.reasons)
        .sort((a, b) => b[1] - a[1])
        .map(([r, n]) => `${r}: ${n}`)
        .join(', ');
      process.stdout.write(
        `${s.renders} renders, ${s.dropped} dropped (${((100 * s.dropped) / s.renders).toFixed(1)}%${reasons ? `; ${reasons}` : ''}); wrote ${s.letters} letters to ${o.out}\n`,
      );
    });
  program
    .command('eval')
    .description('Whole-captcha accuracy voting over K renders of each text, per-letter accuracy and the drop rate')
    .requiredOption(
      '-m, --model <dir>',
      'run folder (runs/NAME) or model folder: a letter model (reddit-letter; renders are segmented) or a text model reading whole 120x50 renders (cnn, crnn)',
    )
    .requiredOption('-d, --data <dir>', 'folder of renders of texts never trained on, at least max K renders each')
    .option('-k, --renders <list>', 'K values', parseKs, [1, 3, 10, 30, 100])
    .option('-o, --out <dir>', 'write results.json and accuracy-by-k.png here')
    .option('--backend <name>', 'tfjs backend (default wasm, or CAPTCHA_NN_BACKEND)')
    .action(async (o: { model: string; data: string; renders: number[]; out?: string; backend?: string }) => {
      await (o.backend ? setBackend(o.backend) : ready());
      const m = await loadCaptchaModel(o.model);
      const letters = m.metadata.task.name === 'classification';
      const { width, height } = m.metadata.input;
      try {
        if (!letters && (width !== 120 || height !== 50 || m.metadata.length !== 6))
          throw new Error(`${o.model}: a text model for ${width}x${height} images of ${m.metadata.length} characters; reddit renders are 120x50, 6 letters`);
        const read = letters ? letterReader(m.model) : wholeImageReader(m.model);
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
            plotAccuracyByK(e.byK, `reddit captcha: ${e.texts} unseen texts, ${letters ? 'letters' : 'whole images'} voted over K renders`),
          );
        }
      } finally {
        m.model.dispose();
      }
    });
  return program;
}
