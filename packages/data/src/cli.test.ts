import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerGenerateCommand } from './cli';
import { openFolderDataset } from './loader/folder';
import { MixCaptchaGenerator } from './mix/generator';
import { RedditCaptchaGenerator } from './reddit/generator';
import { simplePreset } from './simple/builder';
import { generateThirdParty, thirdPartyProblem } from './thirdParty';
import { tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

async function run(args: string[]): Promise<{ err: string; error?: CommanderError }> {
  let err = '';
  const program = new Command('captcha-nn').exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (err += s) });
  registerGenerateCommand(program);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (err += s) }));
  try {
    await program.parseAsync(['node', 'captcha-nn', 'generate', ...args]);
    return { err };
  } catch (e) {
    if (e instanceof CommanderError) return { err, error: e };
    throw e;
  }
}

describe('captcha-nn generate', () => {
  it('writes <index>_<label>.png files the folder loader reads back, matching the generator', async () => {
    const out = join(tmp.dir, 'out');
    const r = await run(['--count', '5', '--seed', '3', '--out', out, '--no-progress', '--start', '2']);
    expect(r.error).toBeUndefined();
    const files = readdirSync(out).sort();
    const gen = simplePreset('seed', { seed: '3' });
    expect(files).toEqual([2, 3, 4, 5, 6].map((i) => `${i}_${gen.render(i).label}.png`).sort());
    const ds = await openFolderDataset(out);
    expect(ds.size).toBe(5);
    const svgOut = join(tmp.dir, 'svg');
    expect((await run(['--generator', 'svg', '--count', '2', '--length', '4-6', '--size', '160x60', '--out', svgOut, '--no-progress'])).error).toBeUndefined();
    const svgDs = await openFolderDataset(svgOut);
    expect([svgDs.width, svgDs.height]).toEqual([160, 60]);
  });

  it('--generator mix writes one size, with --length, --charset and --size, matching the generator', async () => {
    const out = join(tmp.dir, 'mix');
    const args = ['--generator', 'mix', '--count', '4', '--length', '5-6', '--charset', 'AbC123', '--size', '120x48', '--seed', 'm', '--out', out];
    expect((await run([...args, '--no-progress'])).error).toBeUndefined();
    const gen = new MixCaptchaGenerator({ seed: 'm', length: [5, 6], charset: 'AbC123', width: 120, height: 48 });
    expect(readdirSync(out).sort()).toEqual([0, 1, 2, 3].map((i) => `${i}_${gen.render(i).label}.png`).sort());
    const ds = await openFolderDataset(out);
    expect([ds.size, ds.width, ds.height]).toEqual([4, 120, 48]);
  });

  it('--generator mix --fonts draws with those families only', async () => {
    const out = join(tmp.dir, 'mix-fonts');
    const families = new MixCaptchaGenerator().fonts.map((f) => f.family).slice(0, 2);
    const args = ['--generator', 'mix', '--count', '3', '--fonts', families.join(', '), '--seed', 'f', '--out', out, '--no-progress'];
    expect((await run(args)).error).toBeUndefined();
    const gen = new MixCaptchaGenerator({ seed: 'f', fonts: families });
    expect(gen.fonts.map((f) => f.family)).toEqual(families);
    expect(readdirSync(out).sort()).toEqual([0, 1, 2].map((i) => `${i}_${gen.render(i).label}.png`).sort());
    const written = await openFolderDataset(out, { channels: 'rgb' });
    const first = await written.load(written.entries.findIndex((e) => e.file.startsWith('0_')));
    // The whole image: the text, not only the background, is the one drawn with these fonts.
    const direct = gen.render(0).rgba;
    const rgb = Uint8Array.from({ length: (direct.length / 4) * 3 }, (_, i) => direct[Math.floor(i / 3) * 4 + (i % 3)]!);
    expect(Buffer.compare(Buffer.from(first!.image.data), Buffer.from(rgb))).toBe(0);
    const withDefaults = new MixCaptchaGenerator({ seed: 'f' }).render(0).rgba;
    expect(Buffer.compare(Buffer.from(withDefaults), Buffer.from(direct))).not.toBe(0);
  });

  it('writes K renders of each reddit text as <text>-<render>_<label>.png', async () => {
    const out = join(tmp.dir, 'reddit');
    const r = await run(['--generator', 'reddit', '--count', '2', '--renders', '3', '--start', '5', '--seed', 'r', '--out', out, '--no-progress']);
    expect(r.error).toBeUndefined();
    const gen = new RedditCaptchaGenerator({ seed: 'r' });
    const expected = [5, 6].flatMap((t) => [0, 1, 2].map((k) => `${t}-${k}_${gen.text(t)}.png`));
    expect(readdirSync(out).sort()).toEqual(expected.sort());
    const ds = await openFolderDataset(out, { channels: 'gray' });
    expect([ds.size, ds.width, ds.height]).toEqual([6, 120, 50]);
    const first = await ds.load(ds.entries.findIndex((e) => e.file.endsWith(`6-2_${gen.text(6)}.png`)));
    const direct = gen.renderText(6, 2).rgba;
    expect(Array.from(first!.image.data.subarray(0, 600))).toEqual(Array.from({ length: 600 }, (_, i) => direct[i * 4]));
  });

  it.skipIf(thirdPartyProblem('gregwar') !== undefined)(
    `--generator gregwar runs the real library, labels as drawn${thirdPartyProblem('gregwar') ? ` (SKIPPED: ${thirdPartyProblem('gregwar')})` : ''}`,
    async () => {
      const out = join(tmp.dir, 'gregwar');
      const r = await run(['--generator', 'gregwar', '--count', '3', '--seed', '9', '--start', '4', '--out', out, '--no-progress']);
      expect(r.error).toBeUndefined();
      const written = await generateThirdParty({ generator: 'gregwar', count: 3, seed: '9', start: 4, out: join(tmp.dir, 'gregwar2') });
      expect(readdirSync(out).sort()).toEqual(written.map((w) => w.file).sort());
    },
    // Two php processes: seconds on a busy machine.
    120_000,
  );

  it('documents every option in --help', async () => {
    const r = await run(['--help']);
    for (const opt of [
      '--generator',
      '--renders',
      '--preset',
      '--count',
      '--length',
      '--size',
      '--seed',
      '--out',
      '--start',
      '--charset',
      '--fonts',
      '--channels',
      '--no-progress',
    ])
      expect(r.err).toContain(opt);
  });

  it('rejects bad arguments with clear messages', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--count', 'abc', '--out', 'x'], /--count.*positive integer/],
      [['--count', '0', '--out', 'x'], /positive integer/],
      [['--length', '8-4', '--out', 'x'], /1 <= min <= max/],
      [['--length', 'five', '--out', 'x'], /length like 5 or a range like 4-8/],
      [['--size', '200by50', '--out', 'x'], /WIDTHxHEIGHT/],
      [['--size', '2x2', '--out', 'x'], /8\.\.4096/],
      [
        ['--generator', 'gif', '--out', 'x'],
        /Allowed choices are simple, svg, reddit, mix, gregwar, django, securityimage-catalyst, securityimage-cgiapp, textcaptcha, rails-simplecaptcha, rails-simplecaptcha-random/,
      ],
      [
        ['--generator', 'gregwar', '--size', '200x50', '--channels', 'gray', '--out', 'x'],
        /draws as a site with Gregwar\/Captcha serves it.*: --size, --channels cannot be set/,
      ],
      [['--renders', '3', '--out', 'x'], /--renders applies to --generator reddit only/],
      [['--generator', 'reddit', '--renders', '0', '--out', 'x'], /positive integer/],
      [['--generator', 'reddit', '--size', '200x50', '--length', '5', '--out', 'x'], /120x50, six letters A-Z: --length, --size cannot be set/],
      [['--preset', 'easy', '--out', 'x'], /Allowed choices are seed, variable, hard/],
      [['--charset', 'aab', '--out', 'x'], /repeats/],
      [['--charset', 'a_b', '--out', 'x'], /cannot appear in file names/],
      [['--count', '3'], /required option '-o, --out <dir>'/],
      [['--generator', 'svg', '--preset', 'hard', '--out', 'x'], /--preset applies to --generator simple only/],
      [['--generator', 'mix', '--preset', 'hard', '--out', 'x'], /--preset applies to --generator simple only/],
      [['--generator', 'svg', '--fonts', 'DejaVu Sans', '--out', 'x'], /--fonts applies to --generator mix only/],
      [['--generator', 'mix', '--fonts', 'DejaVu Sans,,Lato', '--out', 'x'], /a font family is empty/],
      [['--generator', 'mix', '--fonts', 'Lato, Lato', '--out', 'x'], /named twice/],
      [['--bogus', '--out', 'x'], /unknown option '--bogus'/],
    ];
    for (const [args, msg] of cases) {
      const r = await run(args);
      expect(r.error, args.join(' ')).toBeInstanceOf(CommanderError);
      expect(r.err, args.join(' ')).toMatch(msg);
    }
    await expect(run(['--generator', 'mix', '--fonts', 'No Such Sans', '--out', join(tmp.dir, 'none')])).rejects.toThrow(
      /^mix: font family 'No Such Sans' is not available/,
    );
  });
});
