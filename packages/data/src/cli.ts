import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { generateSample, type CaptchaGenerator, type LengthSpec } from './generator';
import { encodePng } from './canvasNode';
import { fromRGBA } from './image';
import { MixCaptchaGenerator } from './mix/generator';
import { RedditCaptchaGenerator } from './reddit/generator';
import { simplePreset, SIMPLE_PRESETS, type SimplePreset } from './simple/builder';
import { SvgCaptchaGenerator } from './svg';
import { generateThirdParty, THIRD_PARTY, THIRD_PARTY_GENERATORS, type ThirdPartyGenerator } from './thirdParty';

function parseCount(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a positive integer, e.g. 10000.');
  return Number(v);
}

function parseIndex(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a non-negative integer.');
  return Number(v);
}

/** "5" or "4-8". */
export function parseLength(v: string): LengthSpec {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected a length like 5 or a range like 4-8.');
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi < lo || hi > 64) throw new InvalidArgumentError('lengths must satisfy 1 <= min <= max <= 64.');
  return lo === hi ? lo : [lo, hi];
}

/** "200x50". */
export function parseSize(v: string): { width: number; height: number } {
  const m = /^(\d+)[xX](\d+)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected WIDTHxHEIGHT, e.g. 200x50.');
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width < 8 || height < 8 || width > 4096 || height > 4096) throw new InvalidArgumentError('width and height must be in 8..4096.');
  return { width, height };
}

function parseCharset(v: string): string {
  const chars = [...v];
  if (chars.length === 0) throw new InvalidArgumentError('the charset is empty.');
  if (new Set(chars).size !== chars.length) throw new InvalidArgumentError('the charset repeats a character.');
  if (chars.some((c) => /[\\/:*?"<>|_\s.]/.test(c)))
    throw new InvalidArgumentError('characters \\ / : * ? " < > | _ . and spaces cannot appear in file names of the form <index>_<label>.png.');
  return v;
}

/** What the mix draws with when `--fonts` is not given. */
export const FONTS_DEFAULT_HELP = 'every family of the Debian font list installed here, docs/data.md';

/** `--fonts`: font families, comma-separated, each named once (the mix checks that each is installed). */
export function parseFontList(v: string): string[] {
  const families = v.split(',').map((f) => f.trim());
  if (families.some((f) => f === '')) throw new InvalidArgumentError('a font family is empty (families are comma-separated, e.g. "Lato,DejaVu Sans").');
  if (new Set(families).size !== families.length) throw new InvalidArgumentError('a font family is named twice.');
  return families;
}

export interface GenerateOptions {
  /** Ours (simple, svg, reddit, mix) or a real third-party library (gregwar, django, securityimage-*, textcaptcha, rails-simplecaptcha*: see thirdParty.ts). */
  generator: 'simple' | 'svg' | 'reddit' | 'mix' | ThirdPartyGenerator;
  preset: SimplePreset;
  /** Images, or with `renders` texts. */
  count: number;
  /** reddit only: renders of each text, written as `<text>-<render>_<label>.png`. */
  renders?: number;
  length?: LengthSpec;
  size?: { width: number; height: number };
  seed: string;
  out: string;
  start: number;
  charset?: string;
  /** mix only: the font families it draws with (default: those of DEBIAN_FONTS installed). */
  fonts?: string[];
  channels: 'gray' | 'rgb';
  progress: boolean;
}

/** The generator the CLI options describe. */
export function generatorFromOptions(o: Pick<GenerateOptions, 'generator' | 'preset' | 'length' | 'size' | 'seed' | 'charset' | 'fonts'>): CaptchaGenerator {
  if (isThirdParty(o.generator)) throw new Error(`generate: ${o.generator} is a third-party library run as a separate process (use runGenerate)`);
  if (o.generator === 'reddit') return new RedditCaptchaGenerator({ seed: o.seed });
  if (o.generator === 'mix') {
    return new MixCaptchaGenerator({
      seed: o.seed,
      ...(o.size ? { width: o.size.width, height: o.size.height } : {}),
      ...(o.length !== undefined ? { length: o.length } : {}),
      ...(o.charset ? { charset: o.charset } : {}),
      ...(o.fonts ? { fonts: o.fonts } : {}),
    });
  }
  if (o.generator === 'svg') {
    return new SvgCaptchaGenerator({ seed: o.seed, width: o.size?.width ?? 200, height: o.size?.height ?? 50, length: o.length ?? 5, charset: o.charset });
  }
  return simplePreset(o.preset, { seed: o.seed, width: o.size?.width, height: o.size?.height, length: o.length, charset: o.charset });
}

/**
 * Writes `count` captchas as `<index>_<label>.png`, or with `renders` K the
 * K renders of each of `count` texts as `<text>-<render>_<label>.png`
 * (text = start, start+1, …; render = 0..K-1); returns the number written.
 */
export async function runGenerate(o: GenerateOptions, log: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<number> {
  if (isThirdParty(o.generator)) return runThirdParty(o.generator, o, log);
  const gen = generatorFromOptions(o);
  const renders = o.renders ?? 1;
  const total = o.count * renders;
  const fileOf = (i: number, label: string) => (o.renders === undefined ? `${i}_${label}.png` : `${Math.floor(i / renders)}-${i % renders}_${label}.png`);
  await mkdir(o.out, { recursive: true });
  const bar = o.progress
    ? new SingleBar({ format: 'generate |{bar}| {value}/{total} captchas | {rate}/s | ETA {eta}s', hideCursor: true }, Presets.shades_classic)
    : null;
  bar?.start(total, 0, { rate: '0' });
  const t0 = performance.now();
  const pending = new Set<Promise<void>>();
  let done = 0;
  try {
    for (let k = 0; k < total; k++) {
      const i = o.start * renders + k;
      const s =
        o.renders === undefined ? generateSample(gen, i, { format: o.channels }) : generateRender(gen as RedditCaptchaGenerator, i, renders, o.channels);
      const p = writeFile(join(o.out, fileOf(i, s.label)), encodePng(s.image)).then(() => {
        pending.delete(p);
        done++;
        bar?.update(done, { rate: ((done * 1000) / (performance.now() - t0)).toFixed(0) });
      });
      pending.add(p);
      if (pending.size >= 16) await Promise.race(pending);
    }
    await Promise.all(pending);
  } finally {
    bar?.stop();
  }
  const what = o.renders === undefined ? `${done} captchas` : `${done} captchas (${o.count} texts x ${renders} renders)`;
  log(`wrote ${what} (${gen.kind}${gen.kind === 'simple' ? ` preset ${o.preset}` : ''}, ${gen.width}x${gen.height}, seed ${o.seed}) to ${o.out}`);
  return done;
}

function isThirdParty(g: string): g is ThirdPartyGenerator {
  return THIRD_PARTY_GENERATORS.includes(g as ThirdPartyGenerator);
}

/** `generate --generator gregwar|django|securityimage-*|textcaptcha|rails-simplecaptcha*`: the real library, in one interpreter process. */
async function runThirdParty(g: ThirdPartyGenerator, o: GenerateOptions, log: (s: string) => void): Promise<number> {
  const bar = o.progress ? new SingleBar({ format: 'generate |{bar}| {value}/{total} captchas | ETA {eta}s', hideCursor: true }, Presets.shades_classic) : null;
  bar?.start(o.count, 0);
  try {
    await generateThirdParty({ generator: g, count: o.count, seed: o.seed, start: o.start, out: o.out, onImage: (n) => bar?.update(n) });
  } finally {
    bar?.stop();
  }
  const info = THIRD_PARTY[g];
  log(`wrote ${o.count} captchas (${info.library}, ${info.size}, ${info.length} characters, seed ${o.seed}) to ${o.out}`);
  return o.count;
}

/** Render `i % renders` of text `floor(i / renders)`, as a sample. */
function generateRender(gen: RedditCaptchaGenerator, i: number, renders: number, format: 'gray' | 'rgb') {
  const { rgba, label } = gen.renderText(Math.floor(i / renders), i % renders);
  return { image: fromRGBA(rgba, gen.width, gen.height, format), label };
}

/**
 * Adds `generate` to a commander program (the main `captcha-nn` CLI mounts
 * it; `captcha-nn-data` is a standalone bin with just this command).
 */
export function registerGenerateCommand(program: Command): Command {
  return program
    .command('generate')
    .description(
      'Write labelled captcha images <index>_<label>.png (gregwar, securityimage-catalyst, rails-simplecaptcha*: .jpg, as they serve them) to a folder.',
    )
    .addOption(
      new Option(
        '-g, --generator <name>',
        'captcha generator: ours (simple, svg, reddit; mix: a random mix of them and a plain canvas style, for pre-training), or a real library run through php/python3/perl/ruby (gregwar: Gregwar/Captcha, django: django-simple-captcha, securityimage-catalyst and securityimage-cgiapp: GD::SecurityImage as the captcha plugins of two Perl frameworks set it up, textcaptcha: PEAR Text_CAPTCHA as its example does, rails-simplecaptcha and rails-simplecaptcha-random: the Rails gem simple_captcha2 with its defaults and with its random styles; Debian packages)',
      )
        .choices(['simple', 'svg', 'reddit', 'mix', ...THIRD_PARTY_GENERATORS])
        .default('simple'),
    )
    .addOption(new Option('-p, --preset <name>', 'SimpleCaptcha preset (simple generator only)').choices([...SIMPLE_PRESETS]).default('seed'))
    .option('-n, --count <n>', 'number of captchas (with --renders: of texts)', parseCount, 100)
    .option('--renders <k>', 'reddit only: K renders of each text, under new random warps, as <text>-<render>_<label>.png', parseCount)
    .option('-l, --length <n|min-max>', "text length, fixed (5) or a range (4-8); default: the preset's (mix: 4-8)", parseLength)
    .option('-s, --size <WxH>', 'image size in pixels; default 200x50 (mix: 160x64)', parseSize)
    .option('--seed <seed>', 'seed: the same seed and options give the same images', '1')
    .option('-o, --out <dir>', 'output folder (created if missing)')
    .option('--start <index>', 'first image index, or with --renders first text index (to extend a set reproducibly)', parseIndex, 0)
    .option('--charset <chars>', "label alphabet; default SimpleCaptcha's abcdefghkmnprwxy2345678 (mix: 0-9A-Za-z)", parseCharset)
    .option('--fonts <families>', `mix only: font families to draw with, comma-separated (default: ${FONTS_DEFAULT_HELP})`, parseFontList)
    .addOption(new Option('--channels <c>', 'pixel format written').choices(['gray', 'rgb']).default('rgb'))
    .option('--no-progress', 'no progress bar')
    .action(async function (this: Command, opts: Omit<GenerateOptions, 'out'> & { out?: string }) {
      if (!opts.out) this.error("error: required option '-o, --out <dir>' not specified", { code: 'captcha-nn.missingOut' });
      if ((opts.generator === 'svg' || opts.generator === 'mix') && this.getOptionValueSource('preset') === 'cli') {
        this.error('error: --preset applies to --generator simple only', { code: 'captcha-nn.presetWithSvg' });
      }
      if (opts.fonts && opts.generator !== 'mix') this.error('error: --fonts applies to --generator mix only', { code: 'captcha-nn.fontsNotMix' });
      if (opts.renders !== undefined && opts.generator !== 'reddit') {
        this.error('error: --renders applies to --generator reddit only', { code: 'captcha-nn.rendersNotReddit' });
      }
      if (isThirdParty(opts.generator)) {
        const info = THIRD_PARTY[opts.generator];
        const fixed = ['preset', 'length', 'size', 'charset', 'channels', 'renders'].filter((k) => this.getOptionValueSource(k) === 'cli');
        if (fixed.length > 0)
          this.error(
            `error: ${opts.generator} draws as a site with ${info.library} serves it (${info.length} characters, size ${info.size}, ${info.ext.toUpperCase()}): ${fixed.map((k) => `--${k}`).join(', ')} cannot be set`,
            { code: 'captcha-nn.thirdPartyFixed' },
          );
      }
      if (opts.generator === 'reddit') {
        const fixed = ['preset', 'length', 'size', 'charset'].filter((k) => this.getOptionValueSource(k) === 'cli');
        if (fixed.length > 0)
          this.error(`error: reddit captchas are 120x50, six letters A-Z: ${fixed.map((k) => `--${k}`).join(', ')} cannot be set`, {
            code: 'captcha-nn.redditFixed',
          });
      }
      await runGenerate({ ...opts, out: opts.out!, progress: opts.progress && Boolean(process.stderr.isTTY) });
    });
}
