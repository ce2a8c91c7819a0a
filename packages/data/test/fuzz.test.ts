/**
 * Seeded fuzzing of everything that reads untrusted bytes in this package:
 * the image decoders (mutated, truncated, bit-flipped and forged PNG, JPEG,
 * GIF, BMP and WebP files, and hand-made PNGs of every colour type, bit depth
 * and interlacing), the label parsers (file names, regexes, ans.txt lines,
 * CSV) and folder datasets with bad files mixed in.
 *
 * Every case must end in a correct result or an Error whose message names
 * the input; a crash fails the run, a case that does not settle within
 * CASE_MS counts as a hang, and memory must not grow by more than
 * MEMORY_BOUND over the run (checked after every batch). One summary line is
 * printed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../src/random';
import { decodeImage } from '../src/loader/decode';
import { openFolderDataset } from '../src/loader/folder';
import { ImageDecodeError, inspectImage, type ImageInfo } from '../src/loader/imageInfo';
import { compileLabelRegex, labelFromFilename, labelFromRegex, parseLabelCsv, parseLabelLines } from '../src/loader/labels';
import { bmp, gif, jpeg, noise, pattern, png, pngChunk, pngHeaderOnly, tempDir, webp } from '../src/test/helpers';
import type { ImageBuffer } from '../src/image';

const SEED = 'captcha-nn-fuzz-1';
const CASE_MS = 5000;
const MEMORY_BOUND = 256 * 1024 * 1024;
const BATCH = 250;

const tmp = tempDir();
afterAll(tmp.cleanup);

interface Tally {
  cases: number;
  errors: number;
  correct: number;
  exact: number;
  crashes: number;
  hangs: number;
  unclear: string[];
  wrong: string[];
}
const tally: Tally = { cases: 0, errors: 0, correct: 0, exact: 0, crashes: 0, hangs: 0, unclear: [], wrong: [] };
const perSuite: Record<string, number> = {};

const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const choose = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

let memBase: NodeJS.MemoryUsage | undefined;
let memPeak = 0;
function checkMemory(): void {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  if (!memBase) {
    memBase = m;
    return;
  }
  const grow = Math.max(m.rss - memBase.rss, m.arrayBuffers - memBase.arrayBuffers);
  memPeak = Math.max(memPeak, grow);
  expect(grow, `memory grew by ${(grow / 2 ** 20).toFixed(0)} MB`).toBeLessThan(MEMORY_BOUND);
}

/**
 * Runs one case: `run` must resolve to a verdict ('exact', 'correct' or a
 * string starting with 'WRONG') or throw an Error whose message contains
 * `name`. Anything else is recorded.
 */
async function runCase(suite: string, name: string, run: () => Promise<string> | string): Promise<void> {
  tally.cases++;
  perSuite[suite] = (perSuite[suite] ?? 0) + 1;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((r) => {
    timer = setTimeout(() => r('hang'), CASE_MS);
  });
  try {
    const verdict = await Promise.race([Promise.resolve().then(run), hang]);
    if (verdict === 'hang') tally.hangs++;
    else if (verdict.startsWith('WRONG')) tally.wrong.push(`${name}: ${verdict}`);
    else {
      tally.correct++;
      if (verdict === 'exact') tally.exact++;
    }
  } catch (e) {
    if (!(e instanceof Error)) tally.crashes++;
    else if (!e.message.includes(name) || e.message.includes('\n')) tally.unclear.push(`${name}: ${e.message}`);
    else tally.errors++;
  } finally {
    clearTimeout(timer);
  }
  if (tally.cases % BATCH === 0) checkMemory();
}

// ------------------------------------------------------------- PNG maker

interface RawPng {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlace: 0 | 1;
  /** Samples per pixel, row-major: channels values each. */
  samples: number[];
  palette?: number[][];
}
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** A PNG written by hand (filter 0), so every colour type, depth and interlacing can be tried. */
function makePng(p: RawPng, idatChunks = 1): Buffer {
  const ch = CHANNELS[p.colorType];
  const rows: Buffer[] = [];
  const emit = (xs: number[], y: number) => {
    const bits = ch * p.depth;
    const row = Buffer.alloc(1 + Math.ceil((xs.length * bits) / 8));
    let bit = 0;
    for (const x of xs) {
      for (let c = 0; c < ch; c++) {
        const v = p.samples[(y * p.width + x) * ch + c]!;
        if (p.depth === 16) {
          row.writeUInt16BE(v, 1 + bit / 8);
        } else if (p.depth === 8) {
          row[1 + bit / 8] = v;
        } else {
          row[1 + (bit >> 3)] |= v << (8 - p.depth - (bit & 7));
        }
        bit += p.depth;
      }
    }
    rows.push(row);
  };
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  if (p.interlace === 0) for (let y = 0; y < p.height; y++) emit(all(p.width), y);
  else
    for (const [xs, ys, xi, yi] of ADAM7) {
      const cols = all(p.width).filter((x) => x >= xs! && (x - xs!) % xi! === 0);
      if (cols.length === 0) continue;
      for (let y = ys!; y < p.height; y += yi!) emit(cols, y);
    }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(p.width, 0);
  ihdr.writeUInt32BE(p.height, 4);
  ihdr[8] = p.depth;
  ihdr[9] = p.colorType;
  ihdr[12] = p.interlace;
  const z = deflateSync(Buffer.concat(rows));
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr)];
  if (p.palette) parts.push(pngChunk('PLTE', Buffer.from(p.palette.flatMap((c) => c.slice(0, 3)))));
  const step = Math.ceil(z.length / idatChunks);
  for (let i = 0; i < z.length; i += step) parts.push(pngChunk('IDAT', z.subarray(i, i + step)));
  parts.push(pngChunk('IEND'));
  return Buffer.concat(parts);
}

/** The RGBA bytes a decoder must produce for `p` (undefined for 16-bit, whose rounding to 8 bits is the decoder's choice). */
function expectedRgba(p: RawPng): Uint8Array | undefined {
  if (p.depth === 16) return undefined;
  const n = p.width * p.height;
  const out = new Uint8Array(n * 4);
  const ch = CHANNELS[p.colorType];
  const scale = (v: number) => (p.depth === 8 ? v : Math.round((v * 255) / (2 ** p.depth - 1)));
  for (let i = 0; i < n; i++) {
    const s = p.samples.slice(i * ch, i * ch + ch);
    let rgba: number[];
    if (p.colorType === 0) rgba = [scale(s[0]!), scale(s[0]!), scale(s[0]!), 255];
    else if (p.colorType === 2) rgba = [...s, 255];
    else if (p.colorType === 3) rgba = [...p.palette![s[0]!]!.slice(0, 3), 255];
    else if (p.colorType === 4) rgba = [s[0]!, s[0]!, s[0]!, s[1]!];
    else rgba = s;
    out.set(rgba, i * 4);
  }
  return out;
}

function randomRawPng(rng: Rng): RawPng {
  const colorType = choose(rng, [0, 2, 3, 4, 6] as const);
  const depths = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] }[colorType] as RawPng['depth'][];
  const depth = choose(rng, depths);
  const width = int(rng, 1, 19);
  const height = int(rng, 1, 13);
  const ch = CHANNELS[colorType];
  const max = colorType === 3 ? Math.min(2 ** depth, 6) - 1 : 2 ** depth - 1;
  const samples: number[] = [];
  for (let i = 0; i < width * height; i++)
    for (let c = 0; c < ch; c++) {
      const alpha = (colorType === 4 && c === 1) || (colorType === 6 && c === 3);
      samples.push(alpha ? max : int(rng, 0, max)); // opaque: no premultiplication round trip
    }
  const palette = colorType === 3 ? Array.from({ length: max + 1 }, () => [int(rng, 0, 255), int(rng, 0, 255), int(rng, 0, 255)]) : undefined;
  return { width, height, colorType, depth, interlace: rng() < 0.5 ? 0 : 1, samples, palette };
}

// --------------------------------------------------------------- mutations

function mutate(rng: Rng, seed: Buffer): { bytes: Buffer; how: string } {
  const b = Buffer.from(seed);
  const op = int(rng, 0, 8);
  switch (op) {
    case 0: {
      const len = int(rng, 0, b.length - 1);
      return { bytes: b.subarray(0, len), how: `cut at ${len}` };
    }
    case 1: {
      const k = int(rng, 1, 8);
      for (let i = 0; i < k; i++) b[int(rng, 0, b.length - 1)] ^= 1 << int(rng, 0, 7);
      return { bytes: b, how: `${k} bit flips` };
    }
    case 2: {
      const k = int(rng, 1, 6);
      for (let i = 0; i < k; i++) b[int(rng, 0, b.length - 1)] = int(rng, 0, 255);
      return { bytes: b, how: `${k} random bytes` };
    }
    case 3: {
      const at = int(rng, 0, b.length);
      const ins = Buffer.from(Array.from({ length: int(rng, 1, 40) }, () => int(rng, 0, 255)));
      return { bytes: Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]), how: `insert ${ins.length} at ${at}` };
    }
    case 4: {
      const at = int(rng, 0, b.length - 1);
      const len = int(rng, 1, Math.min(64, b.length - at));
      return { bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + len)]), how: `delete ${len} at ${at}` };
    }
    case 5: {
      // Forge sizes: every 16/32-bit field near the start gets a value a bomb or garbage would have.
      const at = int(rng, 0, Math.min(40, b.length - 4));
      const v = choose(rng, [0, 1, 0xffff, 16000, 4097, 0x7fffffff, 0xffffffff, 65500]);
      if (rng() < 0.5) b.writeUInt16BE(v & 0xffff, at);
      else b.writeUInt32BE(v >>> 0, at);
      return { bytes: b, how: `forge ${v} at ${at}` };
    }
    case 6: {
      const at = int(rng, 0, b.length);
      return { bytes: Buffer.concat([b.subarray(0, at), b.subarray(at - Math.min(at, 30))]), how: `repeat before ${at}` };
    }
    case 7: {
      const junk = Buffer.from(Array.from({ length: int(rng, 1, 64) }, () => int(rng, 0, 255)));
      return { bytes: Buffer.concat([b, junk]), how: `${junk.length} trailing bytes` };
    }
    default:
      return {
        bytes: Buffer.concat([b.subarray(0, int(rng, 2, 12)), Buffer.from(Array.from({ length: int(rng, 0, 300) }, () => int(rng, 0, 255)))]),
        how: 'signature + noise',
      };
  }
}

const rgbaOf = (img: ImageBuffer) => (img.channels === 4 ? img.data : undefined);
const equal = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (x, i) => x === b[i]);

/** The verdict for a successful decode of `bytes` (inspected as `info`). */
function judge(img: ImageBuffer, info: ImageInfo, reference: { rgba?: Uint8Array; width: number; height: number } | undefined, pixelExact: boolean): string {
  if (img.data.length !== img.width * img.height * img.channels) return `WRONG: ${img.data.length} values for ${img.width}x${img.height}x${img.channels}`;
  const swapped = img.width === info.height && img.height === info.width;
  if (!((img.width === info.width && img.height === info.height) || swapped))
    return `WRONG: decoded ${img.width}x${img.height}, header ${info.width}x${info.height}`;
  if (!reference || !pixelExact) return 'correct';
  if (img.width !== reference.width || img.height !== reference.height)
    return `WRONG: ${img.width}x${img.height} decoded from a mutated ${reference.width}x${reference.height} checksummed file`;
  if (!reference.rgba) return 'correct';
  return equal(rgbaOf(img)!, reference.rgba) ? 'exact' : 'WRONG: different pixels from a checksummed file';
}

describe('fuzz (data)', () => {
  it('image decoders, label parsers and folder datasets: correct results or clear errors', { timeout: 120_000 }, async () => {
    const t0 = performance.now();
    const rng = createRng(SEED);
    checkMemory();

    // -- seeds: encoder output of every format, and hand-made PNGs
    const imgs = [pattern(12, 8), noise(16, 12, 3), noise(40, 30, 5)];
    const seeds: { bytes: Buffer; rgba?: Uint8Array; width: number; height: number; exact: boolean }[] = [];
    for (const img of imgs) {
      for (const bytes of [png(img), jpeg(img, 90), jpeg(img, 100), gif(img), bmp(img), webp(img, 100), webp(img, 80)]) {
        const d = await decodeImage(bytes, { channels: 'rgba' });
        // PNG carries CRCs and an Adler checksum: any change that still decodes must give the same pixels.
        seeds.push({ bytes, rgba: d.data, width: d.width, height: d.height, exact: inspectImage(bytes).format === 'png' });
      }
    }
    for (let i = 0; i < 40; i++) {
      const raw = randomRawPng(rng);
      const bytes = makePng(raw, int(rng, 1, 3));
      seeds.push({ bytes, rgba: expectedRgba(raw), width: raw.width, height: raw.height, exact: true });
    }
    seeds.push({ bytes: pngHeaderOnly(16000, 16000), width: 16000, height: 16000, exact: false });

    // Every seed decodes to what it holds (the hand-made PNGs check depth, palette and interlace handling).
    for (const [i, s] of seeds.entries()) {
      await runCase('image', `seed-${i}`, async () => {
        const img = await decodeImage(s.bytes, { channels: 'rgba', name: `seed-${i}` });
        return judge(img, inspectImage(s.bytes), s, s.exact);
      });
    }

    // -- mutated images
    const channelChoices = ['gray', 'rgb', 'rgba', 'r', 3] as const;
    for (let i = 0; i < 8000; i++) {
      const name = `image-${i}.bin`;
      const seed = choose(rng, seeds);
      const random = rng() < 0.05;
      const { bytes } = random ? { bytes: Buffer.from(Array.from({ length: int(rng, 0, 200) }, () => int(rng, 0, 255))) } : mutate(rng, seed.bytes);
      const small = rng() < 0.1;
      const channels = rng() < 0.5 ? 'rgba' : choose(rng, channelChoices);
      await runCase('image', name, async () => {
        const img = await decodeImage(bytes, { channels, name, maxImageSize: small ? { width: 16, height: 16 } : undefined }).catch((e: unknown) => {
          // Every bad image must be an ImageDecodeError (with a kind), not some other failure.
          throw e instanceof ImageDecodeError ? e : new Error(`not an ImageDecodeError: ${String(e)}`);
        });
        const info = inspectImage(bytes, { maxImageSize: small ? { width: 16, height: 16 } : undefined });
        return judge(img, info, seed, seed.exact && !random && channels === 'rgba');
      });
    }

    // -- label parsers
    const labelChars = 'abcdefghkmnprwxy2345678ABCXYZ.-é😀 ';
    const randLabel = (n = int(rng, 1, 8)) =>
      Array.from({ length: n }, () => choose(rng, [...labelChars]))
        .join('')
        .trim() || 'a';
    for (let i = 0; i < 1200; i++) {
      const name = `name-${i}`;
      const label = randLabel();
      const prefix = Array.from({ length: int(rng, 0, 3) }, () => randLabel()).join('_');
      const file = `${prefix ? `${prefix}_` : ''}${label}${choose(rng, ['.png', '.jpg', '.jpeg', '.gif'])}`;
      await runCase('labels', name, () => (labelFromFilename(file) === label ? 'exact' : `WRONG: ${file} -> ${labelFromFilename(file)}, want ${label}`));
    }
    const regexes = [
      '^cap-(\\w+)-\\d+\\.png$',
      '^(.+)\\.png$',
      '_([^_]+)\\.',
      '([a-z0-9]+)',
      '(',
      '[a-',
      'x{2,1}(a)',
      '(?<n>b+)',
      'no-group',
      '(a)|(b)',
      '((a))',
      '\\',
    ];
    for (let i = 0; i < 300; i++) {
      const name = `regex-${i}`;
      let src = choose(rng, regexes);
      if (rng() < 0.4) {
        const at = int(rng, 0, src.length);
        src = src.slice(0, at) + choose(rng, ['(', ')', '[', ']', '*', '+', '?', '{', '\\', 'a', '|']) + src.slice(at);
      }
      const subject = `cap-${randLabel()}-${int(rng, 0, 99)}.png`;
      await runCase('labels', name, () => {
        let re: RegExp;
        try {
          re = compileLabelRegex(src);
        } catch (e) {
          // The input here is the regex: its source must be in the message.
          throw new Error(
            (e as Error).message.includes(JSON.stringify(src)) || (e as Error).message.includes(src)
              ? `${name}: ${(e as Error).message}`
              : (e as Error).message,
          );
        }
        const l = labelFromRegex(subject, re);
        return l === undefined || (typeof l === 'string' && l.length > 0) ? 'correct' : `WRONG: label ${JSON.stringify(l)}`;
      });
    }
    for (let i = 0; i < 700; i++) {
      const name = `ans-${i}.txt`;
      const lines = Array.from({ length: int(rng, 0, 12) }, () => (rng() < 0.1 ? '' : randLabel()));
      while (lines.length && lines[lines.length - 1] === '') lines.pop();
      const eol = rng() < 0.5 ? '\n' : '\r\n';
      let text = (rng() < 0.2 ? '\ufeff' : '') + lines.map((l) => l + (rng() < 0.2 ? ' \t' : '')).join(eol) + eol.repeat(int(rng, 0, 3));
      const mutated = rng() < 0.3;
      if (mutated) {
        const at = int(rng, 0, text.length);
        text = text.slice(0, at) + choose(rng, ['\u0000', '\r', '\n', '\ufeff', '"', 'x']) + text.slice(at);
      }
      await runCase('labels', name, () => {
        const got = parseLabelLines(text);
        if (!got.every((l) => typeof l === 'string' && !/[\r\n]/.test(l) && !/\s$/.test(l))) return 'WRONG: a line with a line break or trailing space';
        if (got.length && got[0]!.startsWith('\ufeff') && !mutated) return 'WRONG: BOM in the first label';
        return mutated
          ? 'correct'
          : equal(got as never, lines as never) || JSON.stringify(got) === JSON.stringify(lines)
            ? 'exact'
            : `WRONG: ${JSON.stringify(got)}`;
      });
    }
    const csvCell = (s: string) => (/[",]/.test(s) || s.startsWith('"') ? `"${s.replace(/"/g, '""')}"` : s);
    for (let i = 0; i < 800; i++) {
      const name = `labels-${i}.csv`;
      const rows = Array.from({ length: int(rng, 0, 10) }, (_, k) => ({
        file: `${k}${choose(rng, ['', ',', '"', ' x'])}.png`,
        label: randLabel() + choose(rng, ['', ',', '"', '""']),
      }));
      let text = (rng() < 0.5 ? 'file,label\n' : '') + rows.map((r) => `${csvCell(r.file)},${csvCell(r.label)}`).join(rng() < 0.5 ? '\n' : '\r\n');
      const mutated = rng() < 0.4;
      if (mutated) {
        for (let k = int(rng, 1, 3); k > 0; k--) {
          const at = int(rng, 0, text.length);
          text = text.slice(0, at) + choose(rng, ['"', ',', '\n', '\r\n', 'a', '""', '\ufeff']) + text.slice(at + int(rng, 0, 2));
        }
      }
      await runCase('labels', name, () => {
        const got = parseLabelCsv(text, name);
        if (!got.every((r) => typeof r.file === 'string' && typeof r.label === 'string')) return 'WRONG: a non-string cell';
        if (mutated) return 'correct';
        const want = rows.map((r) => ({ file: r.file.trim(), label: r.label.trim() }));
        return JSON.stringify(got) === JSON.stringify(want) ? 'exact' : `WRONG: ${JSON.stringify(got)} != ${JSON.stringify(want)}`;
      });
    }

    // -- folder datasets with bad files mixed in
    const good = png(noise(24, 16, 9));
    const goodJpeg = jpeg(noise(24, 16, 9), 95);
    const kinds = {
      good: () => good,
      goodJpeg: () => goodJpeg,
      truncated: () => good.subarray(0, int(rng, 40, good.length - 1)),
      empty: () => Buffer.alloc(0),
      'not-an-image': () => Buffer.from('not an image'),
      'too-large': () => pngHeaderOnly(16000, 16000),
    } as const;
    for (let f = 0; f < 40; f++) {
      const dir = join(tmp.dir, `folder-${f}`);
      mkdirSync(dir);
      const want: { file: string; kind: keyof typeof kinds }[] = [];
      for (let k = 0; k < int(rng, 3, 10); k++) {
        const kind = choose(rng, Object.keys(kinds) as (keyof typeof kinds)[]);
        const file = `${String(k).padStart(2, '0')}_ab${kind === 'goodJpeg' ? '.jpg' : '.png'}`;
        writeFileSync(join(dir, file), kinds[kind]());
        want.push({ file, kind });
      }
      const readable = want.filter((w) => w.kind === 'good' || w.kind === 'goodJpeg').map((w) => w.file);
      const strict = rng() < 0.3;
      await runCase('folder', dir, async () => {
        const ds = await openFolderDataset(dir, { verify: 'structure', strict });
        if (JSON.stringify(ds.files) !== JSON.stringify(readable)) return `WRONG: files ${ds.files.join(',')}, want ${readable.join(',')}`;
        const bad = want.filter((w) => !readable.includes(w.file));
        if (JSON.stringify(ds.skipped.map((s) => [s.file, s.kind])) !== JSON.stringify(bad.map((w) => [w.file, w.kind])))
          return `WRONG: skipped ${JSON.stringify(ds.skipped)}`;
        if (ds.candidates !== want.length) return `WRONG: ${ds.candidates} candidates`;
        for (let i = 0; i < ds.size; i++) if ((await ds.load(i)) === null) return `WRONG: ${ds.files[i]} verified but unreadable`;
        return 'exact';
      });
    }

    checkMemory();
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `fuzz(data): ${tally.cases} cases (${Object.entries(perSuite)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}): ` +
        `${tally.errors} clear errors, ${tally.correct} correct results (${tally.exact} checked exactly), ` +
        `${tally.crashes} crashes, ${tally.hangs} hangs, ${tally.unclear.length} unclear errors, ${tally.wrong.length} wrong results; ` +
        `memory growth ${(memPeak / 2 ** 20).toFixed(0)} MB; ${seconds} s`,
    );
    expect(tally.unclear.slice(0, 10)).toEqual([]);
    expect(tally.wrong.slice(0, 40)).toEqual([]);
    expect(tally.crashes).toBe(0);
    expect(tally.hangs).toBe(0);
    expect(tally.cases).toBeGreaterThanOrEqual(11000);
    expect(tally.errors).toBeGreaterThan(1000);
  });
});
