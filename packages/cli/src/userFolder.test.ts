/**
 * A folder of the user's own captchas: mixed sizes, labels written in another case than the model reads,
 * eval as the site checks answers, the mistakes PNG, and predict on the folder to a CSV.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareAnswers, decodeImage, encodePng, fromRGBA, parseLabelCsv, simplePreset } from '@captcha-nn/data';
import { TINY_ARGS, tempDir, runCli } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

const run = (args: string[]) => runCli(args, ['stdout', 'stderr']);

/** Trains on the user's folder, labels folded, all of it (no validation), one worker: `from` is the model to start with. */
const trainOnFolder = (out: string, from: string[], ...extra: string[]) =>
  run(['train', ...from, '--data', folder, '--case', 'fold', ...extra, '--workers', '1', '--val-split', '0', '--out', out, '--no-progress']);

/** The fit a run's saved model records. */
const fitOf = (out: string) =>
  (JSON.parse(readFileSync(join(out, 'best', 'model.json'), 'utf8')) as { metadata: { preprocessing: { fit: string } } }).metadata.preprocessing.fit;

const model = join(tmp.dir, 'run');
const folder = join(tmp.dir, 'mine');

beforeAll(async () => {
  const r = await run(['train', '--model', 'tiny', ...TINY_ARGS, '--train-size', '64', '--epochs', '1', '--workers', '1', '--out', model, '--no-progress']);
  expect(r.thrown ?? r.error?.message).toBeUndefined();
  mkdirSync(folder);
  // The user's captchas: three sizes, labels written upper case (the model reads "ab12").
  const sizes = [
    [48, 16],
    [60, 20],
    [40, 14],
  ] as const;
  for (let i = 0; i < 12; i++) {
    const [width, height] = sizes[i % 3]!;
    const gen = simplePreset('seed', { seed: 'user', width, height, length: 2, charset: 'ab12' });
    const s = gen.render(i);
    writeFileSync(join(folder, `${i}_${s.label.toUpperCase()}.png`), encodePng(fromRGBA(s.rgba, width, height, 'rgb')));
  }
}, 120_000);

describe('a folder of your own captchas', () => {
  it('labels in another case: a clear error listing the characters, then --case fold; eval scores as the site checks beside case-sensitive', async () => {
    const bad = await run(['eval', '--model', model, '--data', folder]);
    expect(bad.thrown).toMatch(/characters? of the labels not in the charset "ab12": .*'[AB]' in \d+ labels?.*--case fold lower-cases the labels/);

    const mistakes = join(tmp.dir, 'mistakes.png');
    const r = await run(['eval', '--model', model, '--data', folder, '--case', 'fold', '--compare', 'lower', '--mistakes', mistakes, '--json']);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const ev = JSON.parse(r.out) as {
      count: number;
      captchaAccuracy: number;
      site: { compare: string; accuracy: number; caseSensitive: number };
      mistakes: unknown[];
    };
    expect(ev.count).toBe(12);

    // The same readings through predict on the folder, to a CSV: the site's and the case-sensitive figures follow from them.
    const csv = join(tmp.dir, 'readings.csv');
    const p = await run(['predict', '--model', model, '--csv', csv, folder]);
    expect(p.thrown ?? p.error?.message).toBeUndefined();
    const rows = parseLabelCsv(readFileSync(csv, 'utf8'));
    expect(rows.map((x) => x.file)).toEqual(
      readdirSync(folder)
        .sort()
        .map((f) => join(folder, f)),
    );
    const written = rows.map((x) => /_([^_]+)\.png$/.exec(x.file)![1]!);
    const texts = rows.map((x) => x.label);
    const site = texts.filter((t, i) => compareAnswers(t, written[i]!, 'lower')).length / 12;
    const exact = texts.filter((t, i) => t === written[i]).length / 12;
    expect(ev.site).toEqual({ compare: 'lower', accuracy: site, caseSensitive: exact });
    expect(ev.captchaAccuracy).toBe(site);
    // Labels with a letter can never match case-sensitively: the model reads lower case only.
    expect(exact).toBeLessThanOrEqual(written.filter((w) => !/[AB]/.test(w)).length / 12);

    // The mistakes PNG: one tile per mistake (up to 24), each drawn at twice the largest image (60x20).
    expect(ev.mistakes).toHaveLength(Math.round(12 * (1 - site)));
    const png = await decodeImage(readFileSync(mistakes), { channels: 'rgb' });
    expect(png.width).toBeGreaterThanOrEqual(Math.min(4, ev.mistakes.length) * 120);
  });

  it('trains on the folder as it is: mixed sizes fitted (aspect kept), labels folded', async () => {
    const out = join(tmp.dir, 'folder-run');
    const r = await trainOnFolder(out, ['--model', 'tiny'], '--epochs', '1');
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    expect(r.err).toMatch(
      /12 images in .*60x20 \(the largest width and height in the folder; other sizes shrunk if larger, aspect ratio kept, and padded\), charset "12ab"/,
    );
    expect(fitOf(out)).toBe('contain');
  });

  it('--fit resize stretches the folder to the input instead, says so, and saves it with the model', async () => {
    const out = join(tmp.dir, 'folder-resize');
    const r = await trainOnFolder(out, ['--model', 'tiny'], '--fit', 'resize', '--size', '48x24', '--epochs', '1');
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    expect(r.err).toMatch(/12 images in .*48x24 \(the size option; other sizes stretched to it, aspect ratio not kept\)/);
    expect(fitOf(out)).toBe('resize');
  });

  it('fine-tunes a trained model on the folder: --init, its input size, --freeze-trunk', async () => {
    const out = join(tmp.dir, 'finetune');
    const r = await trainOnFolder(out, ['--init', model], '--freeze-trunk', '1', '--epochs', '2');
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    expect(r.err).toMatch(/--init .*run\/best: copied 6 of 6 state tensors \(weights and batch-norm statistics\); same charset, length and input/);
    // The model saw its text fill the input, so smaller images are enlarged to fill it too.
    expect(r.err).toMatch(/12 images in .*48x16 \(the size option; other sizes shrunk or enlarged until one side fills it/);
    expect(fitOf(out)).toBe('scale');
    expect(r.err).toMatch(/epoch 2: the trunk trains from here/);
    // No validation set: the best epoch is the one with the lowest training loss, and the summary says so.
    expect(r.err).toMatch(/Best model \(epoch \d, the lowest training loss, \d+\.\d{4}; no validation set\)/);
    const meta = JSON.parse(readFileSync(join(out, 'best', 'model.json'), 'utf8')) as { metadata: { model: { name: string }; input: { width: number } } };
    expect([meta.metadata.model.name, meta.metadata.input.width]).toEqual(['tiny', 48]);
    expect((await run(['train', '--freeze-trunk', '1', '--model', 'tiny', '--data', folder, '--out', join(tmp.dir, 'x')])).thrown).toMatch(
      /--freeze-trunk needs --init/,
    );
  });
});
