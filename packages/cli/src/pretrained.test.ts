/**
 * The shipped pre-trained reader: it loads with finite float32 weights, reads generated captchas, and is the
 * default start for `train --data` without `--model`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '@captcha-nn/core';
import { encodePng, fromRGBA, MixCaptchaGenerator } from '@captcha-nn/data';
import { loadCaptchaModel } from '@captcha-nn/train';
import { startInferenceBackend } from './inferenceBackend';
import { isPretrainedName, pretrainedDir, resolveModelArg } from './pretrained';
import { runCli, tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
const run = (args: string[]) => runCli(args, ['stdout', 'stderr']);
const folder = join(tmp.dir, 'mine');

beforeAll(async () => {
  await startInferenceBackend({}); // as eval and predict start it
  // A user's folder: 12 captchas of another size (150x50) and a smaller charset than the general model's.
  mkdirSync(folder);
  const gen = new MixCaptchaGenerator({ seed: 'pretrained-test', width: 150, height: 50, length: 4, charset: 'ABCDEFGH', sources: ['plain'] });
  for (let i = 0; i < 12; i++) {
    const s = gen.render(i);
    writeFileSync(join(folder, `${i}_${s.label}.png`), encodePng(fromRGBA(s.rgba, 150, 50, 'rgb')));
  }
});

describe('the shipped general model', () => {
  it('is found by name; a path that exists as given wins, and other names pass through to the loader', () => {
    expect(isPretrainedName('general')).toBe(true);
    expect(resolveModelArg('general', '--init')).toBe(pretrainedDir('general'));
    expect(resolveModelArg(folder, '--init')).toBe(folder);
    expect(resolveModelArg('no-such-model', '--model')).toBe('no-such-model');
    expect(isPretrainedName('toString')).toBe(false);
  });

  it('is ctc compact on 160x64 grey, 4–8 of 0-9A-Za-z, with finite float32 weights', async () => {
    const m = await loadCaptchaModel(pretrainedDir('general'));
    try {
      expect([m.metadata.model.name, m.metadata.model.variant, m.metadata.input.width, m.metadata.input.height, m.metadata.input.channels]).toEqual([
        'ctc',
        'compact',
        160,
        64,
        1,
      ]);
      expect(m.metadata.charset).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
      for (const [k, t] of Object.entries(m.model.stateDict())) {
        if (!k.endsWith('num_batches_tracked')) expect(`${k} ${t.dtype}`).toBe(`${k} float32`);
        expect(`${k} ${tf.tidy(() => tf.all(tf.isFinite(t)).dataSync()[0])}`).toBe(`${k} 1`);
      }
    } finally {
      m.model.dispose();
    }
  });

  it('reads captchas from the mix at seeds it never trained on', async () => {
    // Nine of the 25 families it was trained on, pinned: the mix's default (every family installed) differs between machines.
    const fonts = [
      ...['DejaVu Sans', 'DejaVu Sans Mono', 'DejaVu Serif', 'Liberation Sans', 'Liberation Serif', 'Liberation Mono'],
      ...['Bitstream Vera Sans', 'Bitstream Vera Sans Mono', 'Bitstream Vera Serif'],
    ];
    const r = await run([
      'eval',
      '--model',
      'general',
      '--generate',
      'mix',
      '--fonts',
      fonts.join(','),
      '--count',
      '64',
      '--seed',
      'pretrained-test',
      '--json',
    ]);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const ev = JSON.parse(r.out) as { count: number; charAccuracy: number };
    expect(ev.count).toBe(64);
    // A fresh model reads none; the shipped one reads most characters (docs/results.md has the full figure).
    expect(ev.charAccuracy).toBeGreaterThan(0.5);
  });

  it('is where `train --data` starts without --model; --no-init then needs --model', async () => {
    const out = join(tmp.dir, 'finetune');
    const r = await run(['train', '--data', folder, '--epochs', '1', '--workers', '1', '--val-split', '0', '--out', out, '--no-progress']);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    expect(r.err).toMatch(/--init general: fine-tuning the shipped pre-trained reader/);
    expect(r.err).toMatch(/--init .*models\/general\/?: copied \d+ of \d+ state tensors/);
    // The 150x50 captchas enlarged to its height, 64, in an input of their shape (the CTC reader takes any width).
    expect(r.err).toMatch(/--init .*: copied 52 of 52 state tensors .*input 160x64 → 192x64 differ, and every tensor fits/);
    expect(r.err).toMatch(/12 images in .*192x64 \(the widest image at height 64; other sizes shrunk or enlarged until one side fills it/);
    const meta = JSON.parse(readFileSync(join(out, 'best', 'model.json'), 'utf8')) as {
      metadata: { model: { name: string }; input: { width: number; height: number }; preprocessing: { fit: string } };
    };
    expect([meta.metadata.model.name, meta.metadata.input.width, meta.metadata.input.height]).toEqual(['ctc', 192, 64]);
    expect(meta.metadata.preprocessing.fit).toBe('scale');

    const scratch = await run(['train', '--no-init', '--data', folder, '--out', join(tmp.dir, 'x')]);
    expect(scratch.error?.message ?? scratch.thrown).toMatch(/required option '--model <name>' not specified/);
  });
});
