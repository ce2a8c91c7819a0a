import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { physicalCores } from '@captcha-nn/core';
import { scheduledRate } from '@captcha-nn/core';
import { readCheckpointState, type TrainOptions } from '@captcha-nn/train';
import { writeTinyPngs } from '@captcha-nn/train/testing';
import { main } from './program';
import { TINY_ARGS, tempDir, runCli } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

/** Runs the CLI in-process; returns stderr/stdout and the commander error, if any. */
const run = (args: string[]) => runCli(args);

describe('captcha-nn argument errors', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      'unknown model',
      ['train', '--model', 'nope', '--generate', 'simple'],
      /unknown model 'nope' \(known: attention, cnn, crnn, ctc, reddit-ctc, reddit-letter, resnet, seq2seq, tiny/,
    ],
    ['missing model', ['train', '--generate', 'simple'], /required option '--model <name>'/],
    ['missing data', ['train', '--model', 'tiny'], /no training data: pass --data DIR .* or --generate simple\|svg\|mix/],
    ['preset with mix', ['train', '--model', 'tiny', '--generate', 'mix', '--preset', 'hard'], /--preset applies to --generate simple only/],
    ['unknown generator', ['train', '--model', 'tiny', '--generate', 'pencil'], /Allowed choices are simple, svg, mix/],
    ['data and generate', ['train', '--model', 'tiny', '--data', 'x', '--generate', 'simple'], /either --data DIR or --generate/],
    [
      'bad number',
      ['train', '--model', 'tiny', '--generate', 'simple', '--epochs', 'ten'],
      /option '-e, --epochs <n>' argument 'ten' is invalid\. expected a positive integer/,
    ],
    ['bad rate', ['train', '--model', 'tiny', '--generate', 'simple', '--lr', '-1'], /--lr <rate>.*expected a positive number/],
    ['bad fraction', ['train', '--model', 'tiny', '--data', 'x', '--val-split', '1.5'], /expected a fraction in \[0, 1\)/],
    ['bad size', ['train', '--model', 'tiny', '--generate', 'simple', '--size', 'big'], /expected WIDTHxHEIGHT/],
    ['bad optimizer', ['train', '--model', 'tiny', '--generate', 'simple', '--optim', 'lbfgs'], /Allowed choices are sgd, adam/],
    ['val and split', ['train', '--model', 'tiny', '--data', 'x', '--val', 'y', '--val-split', '0.2'], /either --val DIR or --val-split F/],
    ['generate-only option with --data', ['train', '--model', 'tiny', '--data', 'x', '--train-size', '10'], /--train-size apply to --generate only/],
    ['folder-only option with --generate', ['train', '--model', 'tiny', '--generate', 'simple', '--val', 'x'], /--val apply to --data only/],
    ['fit with --generate', ['train', '--model', 'tiny', '--generate', 'simple', '--fit', 'scale'], /--fit apply to --data only/],
    ['unknown fit', ['train', '--data', 'x', '--fit', 'stretch'], /--fit <how>.*Allowed choices are resize, contain, scale\./],
    ['unlabelled images with --generate', ['train', '--model', 'tiny', '--generate', 'simple', '--unlabelled', 'x'], /--unlabelled apply to --data only/],
    ['min-confidence without unlabelled images', ['train', '--data', 'x', '--min-confidence', '0.8'], /--min-confidence applies with --unlabelled only/],
    ['bad min-confidence', ['train', '--data', 'x', '--unlabelled', 'y', '--min-confidence', '2'], /--min-confidence <p>.*expected a probability in \[0, 1\]/],
    [
      'resume with other options',
      ['train', '--resume', '--out', 'x', '--lr', '0.1'],
      /only --epochs, --backend, --workers, --time-limit, --val-every, --import can be given \(got --lr\)/,
    ],
    ['dampening without sgd', ['train', '--model', 'tiny', '--generate', 'simple', '--dampening', '0'], /--dampening applies to --optim sgd only/],
    ['nesterov with dampening', ['train', '--model', 'tiny', '--generate', 'simple', '--optim', 'sgd', '--nesterov'], /--nesterov needs --dampening 0/],
    ['bad schedule', ['train', '--model', 'tiny', '--generate', 'simple', '--schedule', 'linear'], /Allowed choices are constant, step, cosine, onecycle/],
    ['bad time limit', ['train', '--model', 'tiny', '--generate', 'simple', '--time-limit', '-5'], /--time-limit <minutes>.*expected a number >= 0/],
    ['bad workers', ['train', '--model', 'tiny', '--generate', 'simple', '--workers', '0'], /--workers <n>.*expected a positive integer/],
    ['bad val-every', ['train', '--model', 'tiny', '--generate', 'simple', '--val-every', '0'], /--val-every <n>.*expected a positive integer/],
    [
      'bad augmentation',
      ['train', '--model', 'tiny', '--generate', 'simple', '--augment', 'heavy'],
      /--augment <preset>.*Allowed choices are none, light, strong, horizontal/,
    ],
    [
      'bad stochastic depth',
      ['train', '--model', 'resnet', '--dataset', 'mnist', '--stochastic-depth', '1'],
      /--stochastic-depth <p>.*expected a fraction in \[0, 1\)/,
    ],
    ['bad erase', ['train', '--model', 'tiny', '--generate', 'simple', '--erase', '1.5'], /--erase <p>.*expected a probability in \[0, 1\]/],
    [
      'bad label smoothing',
      ['train', '--model', 'tiny', '--generate', 'simple', '--label-smoothing', '-0.1'],
      /--label-smoothing <e>.*expected a probability in \[0, 1\]/,
    ],
    ['bad ema', ['train', '--model', 'tiny', '--generate', 'simple', '--ema', '1'], /--ema <decay>.*expected a fraction in \[0, 1\)/],
    ['fonts without mix', ['train', '--model', 'tiny', '--generate', 'simple', '--fonts', 'DejaVu Sans'], /--fonts applies to --generate mix only/],
    ['fonts with --data', ['train', '--model', 'tiny', '--data', 'x', '--fonts', 'DejaVu Sans'], /--fonts apply to --generate only/],
    ['empty font family', ['train', '--model', 'tiny', '--generate', 'mix', '--fonts', 'Lato,'], /--fonts <families>.*a font family is empty/],
    ['eval fonts without mix', ['eval', '--model', 'x', '--generate', 'simple', '--fonts', 'Lato'], /--fonts applies to --generate mix only/],
    ['eval without data', ['eval', '--model', 'x'], /nothing to evaluate on/],
    ['unknown test-time augmentation', ['eval', '--model', 'x', '--dataset', 'mnist', '--tta', 'rotate'], /--tta <how>.*Allowed choices are flip/],
    ['predict: unknown test-time augmentation', ['predict', '--model', 'x', '--tta', 'crop', 'a.png'], /--tta <how>.*Allowed choices are flip/],
    ['predict without model', ['predict', 'a.png'], /required option '--model <dir>'/],
    ['too many threads', ['predict', '--model', 'x', '--threads', '9', 'a.png'], /--threads <n>.*expected 1 to 8 threads/],
  ];
  for (const [name, args, re] of cases) {
    it(name, async () => {
      const r = await run(args);
      expect(r.error?.exitCode, r.err + (r.thrown ?? '')).toBe(1);
      expect(r.err).toMatch(re);
    });
  }

  it('a model folder without model.json, a missing data folder, a missing checkpoint, label smoothing on CTC', async () => {
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    expect((await run(['predict', '--model', empty, 'a.png'])).thrown).toMatch(/no model\.json in .*empty or .*empty\/best/);
    expect((await run(['eval', '--model', join(tmp.dir, 'missing'), '--generate', 'simple'])).thrown).toMatch(/--model .*: no such file or folder/);
    writeFileSync(join(tmp.dir, 'file.txt'), 'x');
    expect((await run(['predict', '--model', join(tmp.dir, 'file.txt'), 'a.png'])).thrown).toMatch(/not a folder/);
    expect((await run(['train', '--resume', '--out', empty])).thrown).toMatch(/--resume: no checkpoint in/);
    expect((await run(['train', '--model', 'tiny', '--data', join(tmp.dir, 'nodata'), '--out', join(tmp.dir, 'r1'), '--no-progress'])).thrown).toMatch(
      /cannot read the folder/,
    );
    const ctc = ['train', '--model', 'ctc', '--generate', 'simple', '--label-smoothing', '0.1', '--out', join(tmp.dir, 'ctc-smooth'), '--no-progress'];
    expect((await run(ctc)).thrown).toMatch(/--label-smoothing 0.1: applies to classification models .* this model's task is ctc/);
    expect(existsSync(join(tmp.dir, 'ctc-smooth'))).toBe(false);
  });

  it('main() prints thrown errors as one line and sets exit code 1', async () => {
    const write = process.stderr.write;
    let err = '';
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      await main(['node', 'captcha-nn', 'train', '--resume', '--out', join(tmp.dir, 'none')]);
    } finally {
      process.stderr.write = write;
    }
    expect(err).toMatch(/^error: --resume: no checkpoint in/);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
  });

  it('train --optim adam --lr 0.002 --schedule cosine --weight-decay --label-smoothing --ema --workers 2 runs and records its options', async () => {
    const out = join(tmp.dir, 'cosine');
    const r = await run([
      'train',
      '--model',
      'tiny',
      ...TINY_ARGS,
      '--train-size',
      '32',
      '--batch',
      '8',
      '--epochs',
      '2',
      '--optim',
      'adam',
      '--lr',
      '0.002',
      '--schedule',
      'cosine',
      '--weight-decay',
      '1e-4',
      '--label-smoothing',
      '0.1',
      '--ema',
      '0.99',
      '--workers',
      '2',
      '--no-progress',
      '--seed',
      '2',
      '--out',
      out,
    ]);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const st = await readCheckpointState<TrainOptions>(join(out, 'checkpoint.safetensors'));
    expect(st.options).toMatchObject({
      optim: 'adam',
      lr: 0.002,
      schedule: 'cosine',
      weightDecay: 1e-4,
      labelSmoothing: 0.1,
      ema: 0.99,
      workers: 2,
      timeLimit: 0,
    });
    expect([st.step, st.scheduleSteps]).toEqual([8, 8]);
    expect(st.learningRate).toBeCloseTo(scheduledRate({ name: 'cosine', lr: 0.002 }, 7 / 8), 12);
    expect(existsSync(join(out, 'best', 'model.json'))).toBe(true);
  });

  it('--generate mix --fonts trains on those families, recorded in the run', async () => {
    const out = join(tmp.dir, 'mix-fonts');
    const mixArgs = ['--generate', 'mix', '--size', '64x24', '--length', '2', '--charset', 'ab12', '--val-size', '4'];
    const r = await run([
      'train',
      '--model',
      'tiny',
      ...mixArgs,
      '--fonts',
      'DejaVu Sans',
      '--train-size',
      '8',
      '--batch',
      '4',
      '--epochs',
      '1',
      '--workers',
      '1',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const st = await readCheckpointState<TrainOptions>(join(out, 'checkpoint.safetensors'));
    expect(st.options.data).toMatchObject({ kind: 'generate', generator: 'mix', fonts: ['DejaVu Sans'] });
    expect(st.step).toBe(2);
  });

  it('--augment light and --erase are recorded in the run and train', async () => {
    const out = join(tmp.dir, 'augment');
    const r = await run([
      'train',
      '--model',
      'tiny',
      ...TINY_ARGS,
      '--no-fresh',
      '--train-size',
      '16',
      '--batch',
      '8',
      '--epochs',
      '1',
      '--augment',
      'light',
      '--erase',
      '0.5',
      '--workers',
      '1',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const st = await readCheckpointState<TrainOptions>(join(out, 'checkpoint.safetensors'));
    expect(st.options.data).toMatchObject({ augment: 'light', erase: 0.5, fresh: false });
    expect(st.step).toBe(2);
  });

  it('--workers defaults to the physical cores other processes leave free (at least 1)', async () => {
    const out = join(tmp.dir, 'default-workers');
    const r = await run([
      'train',
      '--model',
      'tiny',
      ...TINY_ARGS,
      '--train-size',
      '8',
      '--batch',
      '8',
      '--epochs',
      '1',
      '--time-limit',
      '1e-9',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const st = await readCheckpointState<TrainOptions>(join(out, 'checkpoint.safetensors'));
    expect(st.options.workers).toBeGreaterThanOrEqual(1);
    expect(st.options.workers).toBeLessThanOrEqual(await physicalCores());
  });

  it("--import registers a user's model before --model is looked up, and the run records it for --resume", async () => {
    const out = join(tmp.dir, 'user-model');
    const fixture = join(dirname(fileURLToPath(import.meta.url)), 'test', 'userModel.mjs');
    const missing = await run(['train', '--model', 'user-tiny', ...TINY_ARGS, '--out', out]);
    expect(missing.err).toMatch(/unknown model 'user-tiny'/);
    const r = await run([
      'train',
      '--model',
      'user-tiny',
      '--import',
      fixture,
      ...TINY_ARGS,
      '--train-size',
      '8',
      '--batch',
      '8',
      '--epochs',
      '1',
      '--workers',
      '1',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const st = await readCheckpointState<TrainOptions>(join(out, 'checkpoint.safetensors'));
    expect(st.options).toMatchObject({ model: 'user-tiny', imports: [fixture] });
  });

  it('mounts generate', async () => {
    const r = await run(['generate', '--help']);
    expect(r.out).toMatch(/--generator <name>/);
  });
});

describe('the captcha-nn binary', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the package first (npx tsup)`);
  });

  it('Ctrl-C (SIGINT) with 2 workers saves a checkpoint and exits cleanly (the worker threads stopped); --resume finishes the run; predict and eval read the model', async () => {
    const out = join(tmp.dir, 'sigint');
    const child = spawn(
      process.execPath,
      [BIN, 'train', '--model', 'tiny', ...TINY_ARGS, '--train-size', '1200', '--batch', '8', '--epochs', '1', '--seed', '3', '--workers', '2', '--out', out],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.setEncoding('utf8');
    const sawSteps = new Promise<void>((resolve) =>
      child.stderr.on('data', (s: string) => {
        err += s;
        if (/step \d+\/150/.test(err)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await Promise.race([sawSteps, exited]);
    child.kill('SIGINT');
    const code = await exited;
    expect(err).toMatch(/interrupt: saving a checkpoint/);
    expect(err).toMatch(/interrupted at step \d+; checkpoint saved in .*Continue with: captcha-nn train --resume --out/);
    expect(code).toBe(130);
    const st = await readCheckpointState<{ epochs: number }>(join(out, 'checkpoint.safetensors'));
    expect(st.step).toBeGreaterThan(0);
    expect(st.step).toBeLessThan(150);
    expect(st.position).toBe(st.step * 8);
    expect(st.options.epochs).toBe(1);
    expect(existsSync(join(out, 'best'))).toBe(false);

    // A fresh process resumes (the backend must be up before the checkpoint is read) and finishes.
    const resumed = await exec([BIN, 'train', '--resume', '--out', out, '--no-progress']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).toMatch(new RegExp(`resuming at epoch 1, step ${st.step}`));
    expect(resumed.err).toMatch(/done: 1 epochs, 150 steps/);
    expect((await readCheckpointState(join(out, 'checkpoint.safetensors'))).step).toBe(150);

    const pngs = join(tmp.dir, 'pngs');
    await writeTinyPngs(pngs, 3, 's', 'rgb');
    const files = readdirSync(pngs).map((f) => join(pngs, f));
    const pred = await exec([BIN, 'predict', '--model', out, '--json', ...files]);
    expect(pred.code, pred.err).toBe(0);
    const list = JSON.parse(pred.out) as Array<{ file: string; text: string; confidence: number }>;
    expect(list.map((p) => p.file)).toEqual(files);
    for (const p of list) expect(p.confidence).toBeGreaterThan(0);
    const text = await exec([BIN, 'predict', '--model', out, files[0]!]);
    expect(text.out).toMatch(new RegExp(`^${files[0]}\t[ab12]*\t\\d\\.\\d{4}\n$`));

    const ev = await exec([BIN, 'eval', '--model', out, '--generate', 'simple', '--count', '16']);
    expect(ev.code, ev.err).toBe(0);
    expect(ev.out).toMatch(/16 captchas from 16 generated simple captchas \(seed eval\)/);
    expect(ev.out).toMatch(/whole-captcha accuracy +\d+\.\d\d%/);
    expect(ev.out).toMatch(/per position +1: .*2: /);
    // eval reads on the wasm threads of the physical cores by default (docs/results.md: 1.78× at batch 32 on 2).
    const threads = Math.min(8, await physicalCores());
    expect(ev.out).toMatch(new RegExp(`images/s \\(\\d+\\.\\d+ s; wasm, ${threads} threads?, (relaxed|plain) SIMD\\)`));
    const one = await exec([BIN, 'eval', '--model', out, '--generate', 'simple', '--count', '16', '--threads', '1']);
    expect(one.out).toMatch(/images\/s \(\d+\.\d+ s; wasm, 1 thread, (relaxed|plain) SIMD\)/);
    expect(one.out.split('\n').slice(0, 5)).toEqual(ev.out.split('\n').slice(0, 5));
  });

  it("reads with our kernels' relaxed-SIMD build on this Node, turning V8's flag on where it is behind one; CAPTCHA_NN_WASM_SIMD=plain keeps the plain build", async () => {
    const args = [BIN, 'eval', '--model', 'general', '--generate', 'mix', '--count', '8', '--threads', '1'];
    const auto = await exec(args, { CAPTCHA_NN_WASM_SIMD: '' });
    expect(auto.code, auto.err).toBe(0);
    expect(auto.out).toMatch(/^speed .*\(.*; wasm, 1 thread, relaxed SIMD\)$/m);
    const plain = await exec(args, { CAPTCHA_NN_WASM_SIMD: 'plain' });
    expect(plain.code, plain.err).toBe(0);
    expect(plain.out).toMatch(/^speed .*\(.*; wasm, 1 thread, plain SIMD\)$/m);
    // The same readings either way: fused multiply-adds change only the last bits.
    const accuracy = (out: string) => /^whole-captcha accuracy .*$/m.exec(out)?.[0];
    expect(accuracy(auto.out)).toBeDefined();
    expect(accuracy(plain.out)).toBe(accuracy(auto.out));
  }, 120_000);

  it('ctc: trains on 1 to 3 characters with 2 workers and reads those lengths; eval reports CER and accuracy by length (the default, --beam, --text-length any); predict reads with --beam and --text-length', async () => {
    const out = join(tmp.dir, 'ctc');
    const args = ['--generate', 'simple', '--size', '48x16', '--length', '1-3', '--charset', 'ab12'];
    const tr = await exec([
      BIN,
      'train',
      '--model',
      'ctc',
      ...args,
      '--val-size',
      '16',
      '--train-size',
      '32',
      '--batch',
      '8',
      '--epochs',
      '1',
      '--workers',
      '2',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(tr.code, tr.err).toBe(0);
    expect(tr.err).toMatch(/model: ctc \(compact\)/);
    // The model reads the lengths it was trained on by default.
    expect(JSON.parse(readFileSync(join(out, 'best', 'model.json'), 'utf8')).metadata.task.readLength).toEqual({ min: 1, max: 3 });
    const readings = [
      [[], 'beam search of 10, 1 to 3 characters, the lengths of its training labels'],
      [['--beam', '4'], 'beam search of 4, 1 to 3 characters, the lengths of its training labels'],
      [['--text-length', 'any'], 'greedy, any length'],
    ] as const;
    for (const [flags, read] of readings) {
      const ev = await exec([BIN, 'eval', '--model', out, ...args.filter((a) => a !== '--charset' && a !== 'ab12'), '--count', '24', ...flags]);
      expect(ev.code, ev.err).toBe(0);
      expect(ev.out.split('\n')[1]).toContain(`read                    ${read}`);
      expect(ev.out).toMatch(/character error rate +\d+\.\d\d%/);
      expect(ev.out).toMatch(/by length +1: \d+\.\d\d% of \d+ +2: .* of \d+ +3: .* of \d+/);
    }
    const pngs = join(tmp.dir, 'ctc-pngs');
    await writeTinyPngs(pngs, 2, 'c');
    const file = join(pngs, readdirSync(pngs)[0]!);
    // --text-length 2: a reading of two characters, whatever the barely trained model thinks.
    const pred = await exec([BIN, 'predict', '--model', out, '--beam', '3', '--text-length', '2', file]);
    expect(pred.code, pred.err).toBe(0);
    expect(pred.out).toMatch(new RegExp(`^${file}\t[ab12]{2}\t\\d\\.\\d{4}\n$`));
    // By default, one to three characters, as trained (greedy, the barely trained model may read none).
    const bare = await exec([BIN, 'predict', '--model', out, file]);
    expect(bare.code, bare.err).toBe(0);
    expect(bare.out).toMatch(new RegExp(`^${file}\t[ab12]{1,3}\t\\d\\.\\d{4}\n$`));
    // Six processes, each loading the CLI (four took 197 s with the machine at load 21).
  }, 900_000);
});

function exec(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    c.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}
