import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@captcha-nn/core';
import { encodePng, fromRGBA, LabelEncoder, RedditCaptchaGenerator } from '@captcha-nn/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyCaptcha } from '@captcha-nn/train';
import { checkReaderModel } from './cli';
import { inkImage } from './denoise';
import { writeDenoisedFolder } from './denoiseFolder';
import { evaluateVotes, formatVoteEvaluation, letterReader } from './evaluate';
import { buildRedditLetter } from './index';
import { writeLetterFolder } from './letters';
import { readRender, readRenderFolder } from './renders';
import { wholeImageReader } from './wholeImage';

const root = mkdtempSync(join(tmpdir(), 'reddit-captcha-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await setBackend('wasm');
});

/** `texts` texts × `renders` renders of the reddit generator, written as captcha-nn generate --renders does. */
function writeRenders(dir: string, texts: number, renders: number): RedditCaptchaGenerator {
  mkdirSync(dir, { recursive: true });
  const gen = new RedditCaptchaGenerator({ seed: dir });
  for (let t = 0; t < texts; t++)
    for (let r = 0; r < renders; r++) {
      const { rgba, label } = gen.renderText(t, r);
      writeFileSync(join(dir, `${t}-${r}_${label}.png`), encodePng(fromRGBA(rgba, 120, 50, 'gray')));
    }
  return gen;
}

describe('folders of renders', () => {
  it('groups renders by text, in render order', async () => {
    const dir = join(root, 'ok');
    const gen = writeRenders(dir, 2, 3);
    const texts = await readRenderFolder(dir, 3);
    expect(texts.map((t) => [t.text, t.label, t.files.length])).toEqual([
      [0, gen.text(0), 3],
      [1, gen.text(1), 3],
    ]);
    expect(texts[0]!.files.map((f) => f.split('/').pop())).toEqual([0, 1, 2].map((r) => `0-${r}_${gen.text(0)}.png`));
  });

  it('errors on a folder with fewer renders than K, and on files of another kind', async () => {
    const dir = join(root, 'few');
    writeRenders(dir, 2, 2);
    await expect(readRenderFolder(dir, 3)).rejects.toThrow(/has 2 renders, fewer than the 3 needed/);
    writeFileSync(join(dir, 'notes.txt'), 'x');
    await expect(readRenderFolder(dir, 1)).rejects.toThrow(/notes.txt: not a render file/);
  });

  it('errors on a render of another size instead of resizing it', async () => {
    const file = join(root, 'wide.png');
    writeFileSync(file, encodePng({ data: new Uint8Array(160 * 50), width: 160, height: 50, channels: 1 }));
    await expect(readRender(file, 120, 50)).rejects.toThrow(/wide.png: the image is 160x50, expected 120x50/);
  });
});

describe('denoised folders', () => {
  it('writes every render denoised under its own name, and a whole-image reader with denoise reads them alike', async () => {
    const dir = join(root, 'raw');
    writeRenders(dir, 2, 2);
    const out = join(root, 'denoised');
    expect(await writeDenoisedFolder(dir, out, 230)).toBe(4);
    const raw = await readRenderFolder(dir, 2);
    const ink = await readRenderFolder(out, 2);
    expect(ink.map((t) => t.files.map((f) => f.split('/').pop()))).toEqual(raw.map((t) => t.files.map((f) => f.split('/').pop())));
    const a = await readRender(raw[1]!.files[1]!, 120, 50);
    const b = await readRender(ink[1]!.files[1]!, 120, 50);
    expect(Array.from(b.data)).toEqual(Array.from(inkImage(a, 230).data));
    expect(b.data.some((v) => v === 255) && b.data.some((v) => v === 0)).toBe(true);
    // Reading raw renders with denoise gives what reading the denoised folder gives.
    const text = buildTinyCaptcha({ variant: 'compact', numClasses: 27, length: 6, height: 50, width: 120, channels: 1 }).model;
    text.evaluate();
    const [viaOption] = wholeImageReader(text, { denoise: 230 })([a]);
    const [viaFolder] = wholeImageReader(text)([b]);
    const [rawRead] = wholeImageReader(text)([a]);
    expect(Array.from(viaOption!.positional!)).toEqual(Array.from(viaFolder!.positional!));
    expect(Array.from(rawRead!.positional!)).not.toEqual(Array.from(viaFolder!.positional!));
    text.dispose();
  });
});

describe('bad input to letters and eval', () => {
  it('a folder holding a render of another size is an error naming that file, in letters and in eval, for both routes', async () => {
    const dir = join(root, 'odd');
    const gen = writeRenders(dir, 2, 2);
    writeFileSync(join(dir, `1-1_${gen.text(1)}.png`), encodePng({ data: new Uint8Array(100 * 40), width: 100, height: 40, channels: 1 }));
    const odd = new RegExp(`1-1_${gen.text(1)}.png: the image is 100x40, expected 120x50`);
    await expect(writeLetterFolder(dir, join(root, 'odd-letters'))).rejects.toThrow(odd);
    const { model } = buildRedditLetter({ variant: 'compact', numClasses: 27, length: 1, height: 28, width: 28, channels: 1 });
    model.evaluate();
    const enc = new LabelEncoder('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    await expect(evaluateVotes(letterReader(model), enc, dir, { ks: [1, 2] })).rejects.toThrow(odd);
    model.dispose();
    const text = buildTinyCaptcha({ variant: 'compact', numClasses: 27, length: 6, height: 50, width: 120, channels: 1 }).model;
    text.evaluate();
    await expect(evaluateVotes(wholeImageReader(text), enc, dir, { ks: [1, 2] })).rejects.toThrow(odd);
    text.dispose();
  });

  it('eval takes only a letter model for 28x28 gray letters or a text model (fixed-length or CTC) for 120x50 gray renders of 6 letters', () => {
    const task = { name: 'text' as const, format: 'table' as const };
    const letter = { task: { name: 'classification' as const }, input: { width: 28, height: 28, channels: 1 }, length: 1 };
    expect(() => checkReaderModel(letter, 'runs/letter', 6)).not.toThrow();
    expect(() => checkReaderModel({ task, input: { width: 120, height: 50, channels: 1 }, length: 6 }, 'runs/crnn', 6)).not.toThrow();
    expect(() => checkReaderModel({ ...letter, input: { width: 32, height: 32, channels: 1 } }, 'runs/l32', 6)).toThrow(
      /runs\/l32: a letter model for 32x32x1 images; segmented letters are 28x28x1/,
    );
    expect(() => checkReaderModel({ task, input: { width: 200, height: 50, channels: 1 }, length: 6 }, 'runs/seed', 6)).toThrow(
      /runs\/seed: a text model for 200x50x1 images of 6 characters; reddit renders are 120x50x1 \(gray\), 6 letters/,
    );
    expect(() => checkReaderModel({ task, input: { width: 120, height: 50, channels: 3 }, length: 6 }, 'runs/rgb', 6)).toThrow(
      /runs\/rgb: a text model for 120x50x3/,
    );
    expect(() => checkReaderModel({ task, input: { width: 120, height: 50, channels: 1 }, length: 5 }, 'runs/five', 6)).toThrow(/of 5 characters/);
    const ctc = { name: 'ctc' as const, blank: 26 };
    expect(() => checkReaderModel({ task: ctc, input: { width: 120, height: 50, channels: 1 }, length: 6 }, 'runs/ctc', 6)).not.toThrow();
    const seq2seq = { task: { name: 'seq2seq' as const, end: 26 }, input: { width: 120, height: 50, channels: 1 }, length: 6 };
    expect(() => checkReaderModel(seq2seq as never, 'runs/s2s', 6)).toThrow(
      /runs\/s2s: a seq2seq model; eval votes with letter models \(reddit-letter\) and whole-image text models/,
    );
  });
});

describe('letters and votes end to end', () => {
  it('writes a letter folder and reports the drop rate; eval votes over groups of K renders', async () => {
    const dir = join(root, 'e2e');
    writeRenders(dir, 2, 4);
    const out = join(root, 'letters');
    const s = await writeLetterFolder(dir, out);
    expect(s.renders).toBe(8);
    expect(s.letters).toBe((8 - s.dropped) * 6);
    const { model } = buildRedditLetter({ variant: 'compact', numClasses: 27, length: 1, height: 28, width: 28, channels: 1 });
    model.evaluate();
    const e = await evaluateVotes(letterReader(model), new LabelEncoder('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), dir, { ks: [1, 2, 4] });
    expect(e.byK.map((r) => [r.k, r.groups])).toEqual([
      [1, 4],
      [2, 2],
      [4, 1],
    ]);
    expect(e.dropRate).toBeCloseTo(s.dropped / 8, 6);
    for (const r of e.byK) expect(r.accuracy).toBeLessThanOrEqual(1);
    expect(formatVoteEvaluation(e)).toContain('| 4 |');
    await expect(evaluateVotes(letterReader(model), new LabelEncoder('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), dir, { ks: [1, 5] })).rejects.toThrow(
      /fewer than the 5 needed/,
    );
    // All four renders read at K = 1: four groups per text; fewer renders than the largest K is an error.
    const all = await evaluateVotes(letterReader(model), new LabelEncoder('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), dir, { ks: [1], renders: 4 });
    expect(all.byK[0]!.groups).toBe(4);
    expect(all.dropRate).toBeCloseTo(s.dropped / 8, 6);
    await expect(evaluateVotes(letterReader(model), new LabelEncoder('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), dir, { ks: [1, 4], renders: 2 })).rejects.toThrow(
      /renders per text must be an integer at least the largest K \(4\), got 2/,
    );
    model.dispose();
  });
});
