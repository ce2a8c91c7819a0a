import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { LabelEncoder } from '../charset';
import type { ImageBuffer, Normalization } from '../image';
import type { Sample } from '../generator';
import type { ImageSource } from '../pipeline';
import { channelCount, checkChannels, decodeImage, readImageFile, type DecodeOptions } from './decode';
import { applyLabelCase, type FolderEntry, oddCharactersError, readFolderLabels } from './folderLabels';
import { checkMaxImageSize, ImageDecodeError, inspectImage } from './imageInfo';
import type { LabelSource } from './labels';
import { problemOf, SkipLog, type SkippedFile, summarizeSkipped } from './skipped';

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
   * 'keep' (default): labels as written; 'fold': lower-cased, for labels written without their case
   * (a site that ignores case is no reason: a reader trained on the case it sees reads better, docs/results.md).
   * `entries[i].written` keeps the label as written.
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
  /**
   * With fit 'scale' and no `size`: every image is scaled to this height, aspect ratio kept, and the width is
   * the widest image's at that height (for a reader that takes any width). Default: the largest width and height.
   */
  height?: number;
  /** Width of y; default the longest label. */
  maxLength?: number;
  /** Blank/pad class position (see LabelEncoder). */
  blank?: 'first' | 'last';
  /** Used by `batches` callers that read it; kept here for convenience. */
  normalize?: Normalization;
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

/** The image files in `root` with the extensions, sorted by name; none is an error. */
async function listImages(root: string, exts: string[]): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  } catch (e) {
    throw new Error(`cannot read the folder ${root}: ${(e as Error).message}`);
  }
  const images = names.filter((n) => exts.includes(extname(n).toLowerCase())).sort();
  if (images.length === 0) throw new Error(`no images (${exts.join(', ')}) in ${root}`);
  return images;
}

/** The charset (given, preferred when it covers the labels, or inferred) and the label length the targets pad to. */
function labelEncoding(root: string, entries: readonly FolderEntry[], opts: FolderDatasetOptions): { encoder: LabelEncoder; maxLength: number } {
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
  return { encoder, maxLength };
}

type Size = { width: number; height: number };

/** The dataset's image size, where it came from, and the files kept (all of them unless checked at open). */
interface Sized extends Size {
  good: FolderEntry[];
  sizeFrom: string;
  /** The size is the folder's largest width and height (fit 'contain' or 'scale' without a size), which loads fit to. */
  fromFolder: boolean;
}

/**
 * The image size: `size` with fit 'resize', 'pad', 'contain' or 'scale'; without a
 * size, the largest image (fit 'contain' or 'scale') or the one size of all images
 * (fit 'none'). With `verify`, every file is read now and the bad ones skipped.
 */
async function sizeImages(
  root: string,
  entries: FolderEntry[],
  verify: 'none' | 'structure' | 'decode',
  opts: FolderDatasetOptions & { maxImageSize: Size },
  log: SkipLog,
  candidates: number,
): Promise<Sized> {
  const fit = opts.fit ?? 'none';
  const fromFolder = (fit === 'contain' || fit === 'scale') && !opts.size;
  if (opts.height !== undefined) {
    if (!(Number.isInteger(opts.height) && opts.height > 0)) throw new Error(`height must be a positive integer, got ${JSON.stringify(opts.height)}`);
    if (fit !== 'scale' || opts.size)
      throw new Error(`height ${opts.height} goes with fit 'scale' and no size (got fit '${fit}'${opts.size ? ' and a size' : ''})`);
  }
  if (fromFolder && verify === 'none') throw new Error(`fit '${fit}' without a size needs verify 'structure' or 'decode' (to find the largest image)`);
  if (fit !== 'none' && !fromFolder && !opts.size) throw new Error(`fit '${fit}' needs size { width, height }`);
  const given = fit !== 'none' && !fromFolder ? opts.size : undefined;
  if (verify !== 'none') return verifyAll(root, entries, verify, given, opts, log, candidates);
  if (given) return { good: entries, width: given.width, height: given.height, sizeFrom: 'the size option', fromFolder };
  return firstReadable(root, entries, opts, log, candidates);
}

/** Reads every file (`verify`): the readable ones are kept, and their sizes give the dataset's. */
async function verifyAll(
  root: string,
  entries: readonly FolderEntry[],
  verify: 'structure' | 'decode',
  given: Size | undefined,
  opts: FolderDatasetOptions & { maxImageSize: Size },
  log: SkipLog,
  candidates: number,
): Promise<Sized> {
  const fit = opts.fit ?? 'none';
  const checked = await mapLimit(entries, 8, async (e) => {
    const path = join(root, e.file);
    try {
      const bytes = await readImageFile(path);
      if (verify === 'decode') {
        const img = await decodeImage(bytes, { ...opts, fit: 'none', name: path });
        return { width: img.width, height: img.height };
      }
      return inspectImage(bytes, { name: path, maxImageSize: opts.maxImageSize });
    } catch (err) {
      return err as Error;
    }
  });
  const sizes: Array<Size & { file: string }> = [];
  const good: FolderEntry[] = [];
  entries.forEach((e, k) => {
    const r = checked[k]!;
    if (r instanceof Error) return log.skipImage(e.file, r);
    if (fit === 'pad' && given && (r.width > given.width || r.height > given.height))
      return log.skipImage(
        e.file,
        new ImageDecodeError(
          join(root, e.file),
          'too-large',
          `image is ${r.width}x${r.height}, larger than the pad size ${given.width}x${given.height}; use fit 'contain'`,
        ),
      );
    sizes.push({ width: r.width, height: r.height, file: e.file });
    good.push(e);
  });
  const common = fit === 'none' ? commonSize(root, sizes) : undefined;
  if (good.length === 0) throw new Error(`none of the ${entries.length} labelled images in ${root} is readable (${summarizeSkipped(log.files, candidates)})`);
  if (common) return { good, width: common.width, height: common.height, sizeFrom: common.file, fromFolder: false };
  if (given) return { good, width: given.width, height: given.height, sizeFrom: 'the size option', fromFolder: false };
  const h = opts.height;
  // Rounded up (in integers), so that the widest image fills the height too.
  if (h !== undefined)
    return {
      good,
      width: Math.max(...sizes.map((z) => Math.floor((z.width * h + z.height - 1) / z.height))),
      height: h,
      sizeFrom: `the widest image at height ${h}`,
      fromFolder: true,
    };
  return {
    good,
    width: Math.max(...sizes.map((z) => z.width)),
    height: Math.max(...sizes.map((z) => z.height)),
    sizeFrom: 'the largest width and height in the folder',
    fromFolder: true,
  };
}

/** fit 'none' without `verify`: the first file that decodes sets the size (the ones before it are skipped). */
async function firstReadable(root: string, entries: readonly FolderEntry[], opts: DecodeOptions, log: SkipLog, candidates: number): Promise<Sized> {
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    const path = join(root, e.file);
    try {
      const img = await decodeImage(await readImageFile(path), { ...opts, fit: 'none', name: path });
      return { good: entries.slice(k), width: img.width, height: img.height, sizeFrom: e.file, fromFolder: false };
    } catch (err) {
      log.skipImage(e.file, err);
    }
  }
  throw new Error(`none of the ${entries.length} labelled images in ${root} could be decoded (${summarizeSkipped(log.files, candidates)})`);
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
    const images = await listImages(root, exts);
    const log = new SkipLog(root, opts.strict === true);
    const { entries, how, include, missing } = await readFolderLabels(root, images, opts.labels ?? 'filename', log);
    const candidates = images.length + missing;
    if (entries.length === 0) throw new Error(`no labels found for the ${images.length} images in ${root} (labels from ${how})`);
    const labelCase = applyLabelCase(entries, opts.labelCase);
    const odd = oddCharactersError(root, entries, opts.charset, labelCase);
    if (odd) throw odd;
    const { encoder, maxLength } = labelEncoding(root, entries, opts);
    const decodeOpts = { ...opts, maxImageSize };
    const sized = await sizeImages(root, entries, verify, decodeOpts, log, candidates);
    const { width, height } = sized;
    const loadOpts = sized.fromFolder ? { ...decodeOpts, size: { width, height } } : decodeOpts;
    return new FolderDataset(
      root,
      sized.good,
      encoder,
      maxLength,
      width,
      height,
      channelCount(opts.channels),
      sized.sizeFrom,
      loadOpts,
      log.files,
      candidates,
      verify,
      {
        extensions: exts,
        include,
      },
    );
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
