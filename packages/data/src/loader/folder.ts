import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { LabelEncoder } from '../charset';
import type { ImageBuffer, Normalization } from '../image';
import type { Sample } from '../generator';
import type { ImageSource } from '../pipeline';
import { channelCount, checkChannels, decodeImage, readImageFile, type DecodeOptions } from './decode';
import { checkMaxImageSize, ImageDecodeError, inspectImage, type ImageProblem } from './imageInfo';
import { compileLabelRegex, labelFromFilename, labelFromRegex, parseLabelCsv, parseLabelLines, type LabelSource } from './labels';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif', '.bmp', '.webp'];

export interface FolderDatasetOptions extends Omit<DecodeOptions, 'name'> {
  /** Default 'filename'. */
  labels?: LabelSource;
  /**
   * Given charset: labels with other characters are an error listing every such character and files using it.
   * Default: inferred from the labels (whitespace and control characters are still an error).
   */
  charset?: string;
  /**
   * 'keep' (default): labels as written; 'fold': lower-cased (for sites that ignore case, such as
   * Gregwar/Captcha and django-simple-captcha). `entries[i].written` keeps the label as written.
   */
  labelCase?: 'keep' | 'fold';
  /**
   * Without `charset`: use this one (its characters in its order) when every label character is in it, else the
   * inferred one. A fine-tuned model keeps its output layer this way (`captcha-nn train --init`).
   */
  preferCharset?: string;
  /**
   * Throw on the first bad file (unreadable, empty, truncated, corrupt, too
   * large, not an image, unlabelled) instead of skipping it. The error names
   * the file.
   */
  strict?: boolean;
  /**
   * What `open` checks of every labelled image before returning:
   * 'none' (default): nothing; files are read lazily, a bad one is found (and
   *   skipped) when `load` reaches it, so `skipped` grows during training.
   * 'structure': reads each file and checks its header, size limit and
   *   completeness (no pixel decoding; fast); bad files are skipped at open.
   * 'decode': decodes each file at open (slow, catches everything).
   * With 'structure' or 'decode', `entries` (`files`) are the readable files,
   * `skipped` is complete at open, and with fit 'none' an image of another
   * size is an error at open.
   */
  verify?: 'none' | 'structure' | 'decode';
  /** File extensions to read (default png, jpg, jpeg, gif, bmp, webp). */
  extensions?: string[];
  /** Width of y; default the longest label. */
  maxLength?: number;
  /** Blank/pad class position (see LabelEncoder). */
  blank?: 'first' | 'last';
  /** Used by `batches` callers that read it; kept here for convenience. */
  normalize?: Normalization;
}

/** Why a file was skipped: an image problem (see ImageProblem), no label, or listed in the labels file but absent. */
export type SkipKind = ImageProblem | 'unlabelled' | 'missing';

export interface SkippedFile {
  /** The name in the folder (or as listed in the labels file). */
  file: string;
  /** One line, without the file name. */
  reason: string;
  kind: SkipKind;
}

const SKIP_WORDS: Record<SkipKind, [string, string]> = {
  empty: ['empty', 'empty'],
  truncated: ['truncated', 'truncated'],
  corrupt: ['corrupt', 'corrupt'],
  'not-an-image': ['not an image', 'not images'],
  'too-large': ['too large', 'too large'],
  unreadable: ['unreadable', 'unreadable'],
  unlabelled: ['unlabelled', 'unlabelled'],
  missing: ['listed but missing', 'listed but missing'],
};

/** How many files were skipped for each kind of reason. */
export function countSkipped(skipped: readonly SkippedFile[]): Partial<Record<SkipKind, number>> {
  const out: Partial<Record<SkipKind, number>> = {};
  for (const s of skipped) out[s.kind] = (out[s.kind] ?? 0) + 1;
  return out;
}

/**
 * One line for a CLI: "skipped 20 of 120 files: 15 truncated, 5 empty"
 * (kinds by count, most first), or "skipped 0 of 120 files".
 */
export function summarizeSkipped(skipped: readonly SkippedFile[], total: number): string {
  const head = `skipped ${skipped.length} of ${total} file${total === 1 ? '' : 's'}`;
  const counts = Object.entries(countSkipped(skipped)) as [SkipKind, number][];
  if (counts.length === 0) return head;
  const order = Object.keys(SKIP_WORDS);
  counts.sort((a, b) => b[1] - a[1] || order.indexOf(a[0]) - order.indexOf(b[0]));
  return `${head}: ${counts.map(([k, n]) => `${n} ${SKIP_WORDS[k][n === 1 ? 0 : 1]}`).join(', ')}`;
}

/**
 * The size most of the images have; an image of another size is an error
 * naming it (and not a good file that merely came after it).
 */
function commonSize(root: string, sizes: Array<{ width: number; height: number; file: string }>): { width: number; height: number; file: string } | undefined {
  const counts = new Map<string, { n: number; first: { width: number; height: number; file: string } }>();
  for (const s of sizes) {
    const key = `${s.width}x${s.height}`;
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { n: 1, first: s });
  }
  if (counts.size <= 1) return sizes[0];
  const [main, ...others] = [...counts.entries()].sort((a, b) => b[1].n - a[1].n);
  const odd = sizes.filter((s) => `${s.width}x${s.height}` !== main![0]);
  const named = odd.slice(0, 3).map((s) => `${join(root, s.file)} is ${s.width}x${s.height}`);
  throw new Error(
    `${named.join('; ')}${odd.length > 3 ? ` (and ${odd.length - 3} more)` : ''}, but ${main![1].n} of the ${sizes.length} images are ${main![0]}` +
      ` (${others.length + 1} sizes in all); pass fit: 'contain' to load mixed sizes (aspect ratio kept, padded)`,
  );
}

/** A cheap identity of a folder's files: count, total bytes, and a hash of the sorted names and sizes. */
export interface FolderFingerprint {
  files: number;
  bytes: number;
  /** sha256 (hex) of "<name>\t<size>\n" for each file, sorted by name. */
  hash: string;
}

/**
 * Fingerprints the regular files in `dir` with the given extensions (default
 * IMAGE_EXTENSIONS) plus `include` (paths relative to `dir`, e.g. the labels
 * file), from names and sizes only (one stat per file, nothing read). Compare
 * `hash` at resume to check that a folder has not changed.
 */
export async function folderFingerprint(dir: string, opts: { extensions?: string[]; include?: string[] } = {}): Promise<FolderFingerprint> {
  const root = resolve(dir);
  const exts = normalizeExtensions(opts.extensions);
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isFile() && exts.includes(extname(d.name).toLowerCase())).map((d) => d.name);
  } catch (e) {
    throw new Error(`cannot read the folder ${root}: ${(e as Error).message}`);
  }
  for (const f of opts.include ?? []) {
    const rel = relative(root, resolve(root, f));
    if (!names.includes(rel)) names.push(rel);
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sizes = await mapLimit(names, 32, async (n) => {
    try {
      return (await stat(join(root, n))).size;
    } catch (e) {
      throw new Error(`${join(root, n)}: cannot stat (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  });
  const h = createHash('sha256');
  let bytes = 0;
  names.forEach((n, i) => {
    h.update(`${n}\t${sizes[i]}\n`);
    bytes += sizes[i]!;
  });
  return { files: names.length, bytes, hash: h.digest('hex') };
}

/**
 * Image files named by `paths`: a file as given; a folder as its image files
 * (IMAGE_EXTENSIONS, or `extensions`), sorted by name. A path that cannot
 * be read is kept as given (its reader reports it); a folder without images
 * is an error naming it.
 */
export async function expandImagePaths(paths: readonly string[], extensions?: string[]): Promise<string[]> {
  const exts = normalizeExtensions(extensions);
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch {
      // Kept as given: the reader reports the missing file, and the others are still read.
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p, { withFileTypes: true }))
      .filter((d) => d.isFile() && exts.includes(extname(d.name).toLowerCase()))
      .map((d) => d.name)
      .sort();
    if (names.length === 0) throw new Error(`${p}: no images (${exts.join(', ')}) in the folder`);
    out.push(...names.map((n) => join(p, n)));
  }
  return out;
}

function normalizeExtensions(extensions: string[] | undefined): string[] {
  return (extensions ?? IMAGE_EXTENSIONS).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());
}

/** Runs `fn` over `items` with at most `limit` in flight; results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const problemOf = (e: unknown): { kind: SkipKind; reason: string } =>
  e instanceof ImageDecodeError ? { kind: e.kind, reason: e.problem } : { kind: 'corrupt', reason: (e as Error).message };

export interface FolderEntry {
  file: string;
  /** The label the dataset uses (lower-cased with labelCase 'fold'). */
  label: string;
  /** The label as written (file name, CSV or labels file), where it differs from `label`. */
  written?: string;
}

/** Characters that cannot be meant as captcha text: whitespace and control characters. */
const ODD_CHAR = /[\s\p{Cc}\p{Cf}]/u;

/**
 * An error listing every character of the labels outside `charset` (or, with
 * no charset, every whitespace or control character), with how many labels
 * use it and up to two files; undefined when there are none.
 */
export function oddCharactersError(root: string, entries: readonly FolderEntry[], charset: string | undefined, labelCase: 'keep' | 'fold'): Error | undefined {
  const allowed = charset === undefined ? undefined : new Set(charset);
  const found = new Map<string, { n: number; files: string[] }>();
  for (const e of entries) {
    const seen = new Set<string>();
    for (const c of e.label) {
      if (seen.has(c) || (allowed ? allowed.has(c) : !ODD_CHAR.test(c))) continue;
      seen.add(c);
      const f = found.get(c) ?? found.set(c, { n: 0, files: [] }).get(c)!;
      f.n++;
      if (f.files.length < 2) f.files.push(e.file);
    }
  }
  if (found.size === 0) return undefined;
  const show = (c: string) =>
    /^[\x21-\x7e]$/.test(c) ? `'${c}'` : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}${ODD_CHAR.test(c) ? '' : ` '${c}'`}`;
  const list = [...found.entries()]
    .sort((a, b) => b[1].n - a[1].n)
    .map(([c, f]) => `${show(c)} in ${f.n} label${f.n === 1 ? '' : 's'} (${f.files.join(', ')}${f.n > f.files.length ? ', ...' : ''})`);
  const what = allowed ? `not in the charset "${charset}"` : 'that are whitespace or control characters';
  const caseHint =
    allowed && labelCase === 'keep' && [...found.keys()].every((c) => allowed.has(c.toLowerCase())) ? '; --case fold lower-cases the labels' : '';
  return new Error(
    `${root}: ${found.size} character${found.size === 1 ? '' : 's'} of the labels ${what}: ${list.join('; ')}${caseHint} (fix or remove those labels, or give a charset that has them)`,
  );
}

/**
 * Labelled images in a folder, decoded lazily (only names and labels are
 * held in memory). Image size comes from `size` (with fit 'resize'/'pad') or
 * from the first readable image; an image of another size is then an error.
 *
 * Bad files (unlabelled, unreadable, empty, truncated, corrupt, larger than
 * `maxImageSize`, not an image) are skipped and listed in `skipped` with a
 * kind and a reason; `strict` makes the first one an error naming the file.
 * See `verify` for finding them all at open.
 */
export class FolderDataset implements ImageSource {
  readonly skipped: SkippedFile[] = [];
  /** The files considered: images in the folder plus files listed in a labels file but absent. */
  readonly candidates: number;

  private constructor(
    readonly dir: string,
    readonly entries: FolderEntry[],
    readonly encoder: LabelEncoder,
    readonly maxLength: number,
    readonly width: number,
    readonly height: number,
    readonly channels: number,
    readonly sizeFrom: string,
    private readonly opts: FolderDatasetOptions,
    skipped: SkippedFile[],
    candidates: number,
    /** What `open` checked (the `verify` option). */
    readonly verified: 'none' | 'structure' | 'decode',
    private readonly fingerprintFiles: { extensions: string[]; include: string[] },
  ) {
    this.skipped.push(...skipped);
    this.candidates = candidates;
  }

  /**
   * The labelled files in load order. After `verify: 'structure' | 'decode'`
   * these are exactly the readable ones, so a trainer can count positions in
   * this list (stable across runs on the same folder) instead of batches.
   */
  get files(): string[] {
    return this.entries.map((e) => e.file);
  }

  /** "skipped 20 of 120 files: 15 truncated, 5 empty" (see summarizeSkipped). */
  skippedSummary(): string {
    return summarizeSkipped(this.skipped, this.candidates);
  }

  /** The folder's fingerprint (its images with the dataset's extensions, and the labels file); see folderFingerprint. */
  fingerprint(): Promise<FolderFingerprint> {
    return folderFingerprint(this.dir, this.fingerprintFiles);
  }

  get size(): number {
    return this.entries.length;
  }

  get charset(): string {
    return this.encoder.charset;
  }

  static async open(dir: string, opts: FolderDatasetOptions = {}): Promise<FolderDataset> {
    const root = resolve(dir);
    checkChannels(opts.channels ?? 'gray');
    const maxImageSize = checkMaxImageSize(opts.maxImageSize);
    const verify = opts.verify ?? 'none';
    if (!['none', 'structure', 'decode'].includes(verify)) throw new Error(`verify must be 'none', 'structure' or 'decode', got ${JSON.stringify(verify)}`);
    const exts = normalizeExtensions(opts.extensions);
    let names: string[];
    try {
      names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    } catch (e) {
      throw new Error(`cannot read the folder ${root}: ${(e as Error).message}`);
    }
    const images = names.filter((n) => exts.includes(extname(n).toLowerCase())).sort();
    if (images.length === 0) throw new Error(`no images (${exts.join(', ')}) in ${root}`);
    const skipped: SkippedFile[] = [];
    const entries: FolderEntry[] = [];
    const labels = opts.labels ?? 'filename';
    let candidates = images.length;
    const include: string[] = [];
    const skip = (file: string, reason: string, kind: SkipKind) => {
      if (opts.strict) throw new Error(`${join(root, file)}: ${reason}`);
      skipped.push({ file, reason, kind });
    };
    const skipImage = (file: string, e: unknown) => {
      if (opts.strict) throw e;
      skipped.push({ file, ...problemOf(e) });
    };
    let how: string;
    if (labels === 'filename') {
      how = 'file names (<label>.ext or <anything>_<label>.ext)';
      for (const f of images) {
        const l = labelFromFilename(f);
        if (l === undefined) skip(f, 'no label in the file name', 'unlabelled');
        else entries.push({ file: f, label: l });
      }
    } else if ('regex' in labels) {
      const re = compileLabelRegex(labels.regex);
      how = `the regex ${re}`;
      for (const f of images) {
        const l = labelFromRegex(f, re);
        if (l === undefined) skip(f, `the file name does not match ${re}`, 'unlabelled');
        else entries.push({ file: f, label: l });
      }
    } else {
      const path = resolve(root, labels.file);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (e) {
        throw new Error(`cannot read the labels file ${path}: ${(e as Error).message}`);
      }
      const labelFile = basename(path);
      include.push(path);
      if (labels.format === 'csv') {
        how = `the CSV ${path}`;
        const present = new Set(images);
        const rows = parseLabelCsv(text, path);
        // A file listed twice with different labels has no trustworthy label: skip it.
        const labelsOf = new Map<string, Set<string>>();
        for (const row of rows) (labelsOf.get(row.file) ?? labelsOf.set(row.file, new Set()).get(row.file)!).add(row.label);
        const done = new Set<string>();
        for (const row of rows) {
          if (done.has(row.file)) continue;
          done.add(row.file);
          const ls = labelsOf.get(row.file)!;
          if (!present.has(row.file)) {
            candidates++;
            skip(row.file, `listed in ${labelFile} but not an image in the folder`, 'missing');
          } else if (ls.size > 1)
            skip(row.file, `listed in ${labelFile} with different labels (${[...ls].map((l) => JSON.stringify(l)).join(', ')})`, 'unlabelled');
          else if (row.label === '') skip(row.file, `empty label in ${labelFile}`, 'unlabelled');
          else entries.push({ file: row.file, label: row.label });
        }
        for (const f of images) if (!labelsOf.has(f)) skip(f, `not listed in ${labelFile}`, 'unlabelled');
      } else {
        const lines = parseLabelLines(text);
        const numbered = new Map<number, string>();
        for (const f of images) {
          const stem = f.slice(0, f.length - extname(f).length);
          if (/^\d+$/.test(stem)) {
            const other = numbered.get(Number(stem));
            if (other !== undefined) skip(f, `has the same number as ${other}, so the line of ${labelFile} for it is ambiguous`, 'unlabelled');
            else numbered.set(Number(stem), f);
          } else if (f !== labelFile) skip(f, `not named <number>${extname(f)}, so no line of ${labelFile} labels it`, 'unlabelled');
        }
        const first = labels.firstIndex ?? 'auto';
        if (first !== 0 && first !== 1 && first !== 'auto') throw new Error(`firstIndex must be 0, 1 or 'auto', got ${JSON.stringify(first)}`);
        const base = first === 'auto' ? (numbered.has(0) ? 0 : 1) : first;
        how = `${path}, line 1 labelling ${base}.<ext>`;
        for (const [i, f] of [...numbered.entries()].sort((a, b) => a[0] - b[0])) {
          const line = lines[i - base];
          if (line === undefined || line === '') skip(f, `${labelFile} has no label on line ${i - base + 1}`, 'unlabelled');
          else entries.push({ file: f, label: line });
        }
      }
    }
    if (entries.length === 0) throw new Error(`no labels found for the ${images.length} images in ${root} (labels from ${how})`);
    const labelCase = opts.labelCase ?? 'keep';
    if (labelCase !== 'keep' && labelCase !== 'fold') throw new Error(`labelCase must be 'keep' or 'fold', got ${JSON.stringify(labelCase)}`);
    if (labelCase === 'fold')
      for (const e of entries) {
        const lower = e.label.toLowerCase();
        if (lower !== e.label) {
          e.written = e.label;
          e.label = lower;
        }
      }
    const odd = oddCharactersError(root, entries, opts.charset, labelCase);
    if (odd) throw odd;

    const inferred = LabelEncoder.infer(entries.map((e) => e.label));
    const preferred = opts.preferCharset !== undefined && [...inferred].every((c) => opts.preferCharset!.includes(c));
    const charset = opts.charset ?? (preferred ? opts.preferCharset! : inferred);
    const encoder = new LabelEncoder(charset, { blank: opts.blank });
    let longest = 0;
    for (const e of entries) longest = Math.max(longest, [...e.label].length);
    const maxLength = opts.maxLength ?? longest;
    if (maxLength < longest) {
      const e = entries.find((x) => [...x.label].length > maxLength)!;
      throw new Error(`${join(root, e.file)}: label "${e.label}" is longer than maxLength ${maxLength}`);
    }

    // Image size: the target size, or the first readable image's.
    const fit = opts.fit ?? 'none';
    let width: number;
    let height: number;
    let sizeFrom: string;
    let good: FolderEntry[] = [];
    const decodeOpts = { ...opts, maxImageSize };
    // fit 'contain' without a size: the largest width and height in the folder, so no image is shrunk.
    const envelope = fit === 'contain' && !opts.size;
    if (envelope && verify === 'none') throw new Error(`fit 'contain' without a size needs verify 'structure' or 'decode' (to find the largest image)`);
    if (fit !== 'none' && !envelope) {
      if (!opts.size) throw new Error(`fit '${fit}' needs size { width, height }`);
      ({ width, height } = opts.size);
      sizeFrom = 'the size option';
    }
    if (verify !== 'none') {
      // Check every file now: `good` is then exactly the readable files.
      const checked = await mapLimit(entries, 8, async (e) => {
        const path = join(root, e.file);
        try {
          const bytes = await readImageFile(path);
          if (verify === 'decode') {
            const img = await decodeImage(bytes, { ...decodeOpts, fit: 'none', name: path });
            return { width: img.width, height: img.height };
          }
          return inspectImage(bytes, { name: path, maxImageSize });
        } catch (err) {
          return err as Error;
        }
      });
      const sizes: Array<{ width: number; height: number; file: string }> = [];
      entries.forEach((e, k) => {
        const r = checked[k]!;
        if (r instanceof Error) return skipImage(e.file, r);
        if (fit === 'pad' && (r.width > width || r.height > height))
          return skipImage(
            e.file,
            new ImageDecodeError(
              join(root, e.file),
              'too-large',
              `image is ${r.width}x${r.height}, larger than the pad size ${width}x${height}; use fit 'contain'`,
            ),
          );
        sizes.push({ width: r.width, height: r.height, file: e.file });
        good.push(e);
      });
      const first = fit === 'none' ? commonSize(root, sizes) : undefined;
      if (good.length === 0) throw new Error(`none of the ${entries.length} labelled images in ${root} is readable (${summarizeSkipped(skipped, candidates)})`);
      if (fit === 'none') ({ width, height, file: sizeFrom } = first!);
      if (envelope) {
        width = Math.max(...sizes.map((z) => z.width));
        height = Math.max(...sizes.map((z) => z.height));
        sizeFrom = 'the largest width and height in the folder';
      }
    } else if (fit !== 'none') {
      good = entries;
    } else {
      let found: { width: number; height: number; file: string } | null = null;
      let k = 0;
      for (; k < entries.length && !found; k++) {
        const e = entries[k]!;
        const path = join(root, e.file);
        try {
          const img = await decodeImage(await readImageFile(path), { ...decodeOpts, fit: 'none', name: path });
          found = { width: img.width, height: img.height, file: e.file };
          good.push(e);
        } catch (err) {
          skipImage(e.file, err);
        }
      }
      if (!found) throw new Error(`none of the ${entries.length} labelled images in ${root} could be decoded (${summarizeSkipped(skipped, candidates)})`);
      good.push(...entries.slice(k));
      ({ width, height } = found);
      sizeFrom = found.file;
    }
    const loadOpts = envelope ? { ...decodeOpts, size: { width: width!, height: height! } } : decodeOpts;
    return new FolderDataset(root, good, encoder, maxLength, width!, height!, channelCount(opts.channels), sizeFrom!, loadOpts, skipped, candidates, verify, {
      extensions: exts,
      include,
    });
  }

  /** Decodes item i; null (recorded in `skipped`) when unreadable, unless strict. */
  async load(i: number): Promise<Sample<Uint8Array> | null> {
    const e = this.entries[i];
    if (!e) throw new Error(`index ${i} is outside 0..${this.entries.length - 1}`);
    const path = join(this.dir, e.file);
    let image: ImageBuffer<Uint8Array>;
    try {
      image = await decodeImage(await readImageFile(path), { ...this.opts, name: path });
    } catch (err) {
      if (this.opts.strict) throw err;
      if (!this.skipped.some((s) => s.file === e.file)) this.skipped.push({ file: e.file, ...problemOf(err) });
      return null;
    }
    if (image.width !== this.width || image.height !== this.height) {
      throw new Error(
        `${path} is ${image.width}x${image.height} but the dataset's images are ${this.width}x${this.height} (from ${this.sizeFrom}); ` +
          `pass fit: 'contain' to load mixed sizes (aspect ratio kept, padded)`,
      );
    }
    return { image, label: e.label, file: e.file, index: i };
  }

  /** "N images, M skipped: a.png (reason), ..." (up to 20 listed, by file name: loads finish in any order). */
  summary(): string {
    const head = `${this.entries.length} labelled images in ${this.dir}, ${this.skipped.length} skipped`;
    if (this.skipped.length === 0) return head;
    const byName = [...this.skipped].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
    const shown = byName.slice(0, 20).map((s) => `  ${s.file}: ${s.reason}`);
    if (this.skipped.length > 20) shown.push(`  ... and ${this.skipped.length - 20} more`);
    return `${head}:\n${shown.join('\n')}`;
  }
}

/** Opens a folder dataset (see FolderDataset). */
export function openFolderDataset(dir: string, opts: FolderDatasetOptions = {}): Promise<FolderDataset> {
  return FolderDataset.open(dir, opts);
}
