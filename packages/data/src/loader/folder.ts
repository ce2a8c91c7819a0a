import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { LabelEncoder } from '../charset';
import type { Normalization } from '../image';
import type { Sample } from '../generator';
import type { ImageSource } from '../pipeline';
import { channelCount, checkChannels, decodeImage, type DecodeOptions } from './decode';
import { compileLabelRegex, labelFromFilename, labelFromRegex, parseLabelCsv, parseLabelLines, type LabelSource } from './labels';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif', '.bmp', '.webp'];

export interface FolderDatasetOptions extends DecodeOptions {
  /** Default 'filename'. */
  labels?: LabelSource;
  /** Given charset: a label with another character is an error naming the file. Default: inferred from the labels. */
  charset?: string;
  /** Throw on the first unreadable file or unlabelled image instead of skipping it. */
  strict?: boolean;
  /** File extensions to read (default png, jpg, jpeg, gif, bmp, webp). */
  extensions?: string[];
  /** Width of y; default the longest label. */
  maxLength?: number;
  /** Blank/pad class position (see LabelEncoder). */
  blank?: 'first' | 'last';
  /** Used by `batches` callers that read it; kept here for convenience. */
  normalize?: Normalization;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface FolderEntry {
  file: string;
  label: string;
}

/**
 * Labelled images in a folder, decoded lazily (only names and labels are
 * held in memory). Image size comes from `size` (with fit 'resize'/'pad') or
 * from the first readable image; an image of another size is then an error.
 */
export class FolderDataset implements ImageSource {
  readonly skipped: SkippedFile[] = [];

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
  ) {
    this.skipped.push(...skipped);
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
    const exts = (opts.extensions ?? IMAGE_EXTENSIONS).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());
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
    const skip = (file: string, reason: string) => {
      if (opts.strict) throw new Error(`${join(root, file)}: ${reason}`);
      skipped.push({ file, reason });
    };
    let how: string;
    if (labels === 'filename') {
      how = 'file names (<label>.ext or <anything>_<label>.ext)';
      for (const f of images) {
        const l = labelFromFilename(f);
        if (l === undefined) skip(f, 'no label in the file name');
        else entries.push({ file: f, label: l });
      }
    } else if ('regex' in labels) {
      const re = compileLabelRegex(labels.regex);
      how = `the regex ${re}`;
      for (const f of images) {
        const l = labelFromRegex(f, re);
        if (l === undefined) skip(f, `the file name does not match ${re}`);
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
      if (labels.format === 'csv') {
        how = `the CSV ${path}`;
        const present = new Set(images);
        const listed = new Set<string>();
        for (const row of parseLabelCsv(text)) {
          listed.add(row.file);
          if (!present.has(row.file)) skip(row.file, `listed in ${labelFile} but not an image in the folder`);
          else if (row.label === '') skip(row.file, `empty label in ${labelFile}`);
          else entries.push(row);
        }
        for (const f of images) if (!listed.has(f)) skip(f, `not listed in ${labelFile}`);
      } else {
        const lines = parseLabelLines(text);
        const numbered = new Map<number, string>();
        for (const f of images) {
          const stem = f.slice(0, f.length - extname(f).length);
          if (/^\d+$/.test(stem)) numbered.set(Number(stem), f);
          else if (f !== labelFile) skip(f, `not named <number>${extname(f)}, so no line of ${labelFile} labels it`);
        }
        const first = labels.firstIndex ?? 'auto';
        if (first !== 0 && first !== 1 && first !== 'auto') throw new Error(`firstIndex must be 0, 1 or 'auto', got ${JSON.stringify(first)}`);
        const base = first === 'auto' ? (numbered.has(0) ? 0 : 1) : first;
        how = `${path}, line 1 labelling ${base}.<ext>`;
        for (const [i, f] of [...numbered.entries()].sort((a, b) => a[0] - b[0])) {
          const line = lines[i - base];
          if (line === undefined || line === '') skip(f, `${labelFile} has no label on line ${i - base + 1}`);
          else entries.push({ file: f, label: line });
        }
      }
    }
    if (entries.length === 0) throw new Error(`no labels found for the ${images.length} images in ${root} (labels from ${how})`);

    const charset = opts.charset ?? LabelEncoder.infer(entries.map((e) => e.label));
    const encoder = new LabelEncoder(charset, { blank: opts.blank });
    let longest = 0;
    for (const e of entries) {
      const bad = encoder.invalidChar(e.label);
      if (bad !== undefined) throw new Error(`${join(root, e.file)}: label "${e.label}" has the character '${bad}', which is not in the charset "${charset}"`);
      longest = Math.max(longest, [...e.label].length);
    }
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
    const good: FolderEntry[] = [];
    if (fit !== 'none') {
      if (!opts.size) throw new Error(`fit '${fit}' needs size { width, height }`);
      ({ width, height } = opts.size);
      sizeFrom = 'the size option';
      good.push(...entries);
    } else {
      let found: { width: number; height: number; file: string } | null = null;
      let k = 0;
      for (; k < entries.length && !found; k++) {
        const e = entries[k]!;
        try {
          const img = await decodeImage(await readFile(join(root, e.file)), { ...opts, fit: 'none' });
          found = { width: img.width, height: img.height, file: e.file };
          good.push(e);
        } catch (err) {
          skip(e.file, `unreadable image: ${(err as Error).message}`);
        }
      }
      if (!found) throw new Error(`none of the ${entries.length} labelled images in ${root} could be decoded`);
      good.push(...entries.slice(k));
      ({ width, height } = found);
      sizeFrom = found.file;
    }
    return new FolderDataset(root, good, encoder, maxLength, width, height, channelCount(opts.channels), sizeFrom, opts, skipped);
  }

  /** Decodes item i; null (recorded in `skipped`) when unreadable, unless strict. */
  async load(i: number): Promise<Sample<Uint8Array> | null> {
    const e = this.entries[i];
    if (!e) throw new Error(`index ${i} is outside 0..${this.entries.length - 1}`);
    const path = join(this.dir, e.file);
    let image;
    try {
      image = await decodeImage(await readFile(path), this.opts);
    } catch (err) {
      const reason = `unreadable image: ${(err as Error).message}`;
      if (this.opts.strict) throw new Error(`${path}: ${reason}`);
      if (!this.skipped.some((s) => s.file === e.file)) this.skipped.push({ file: e.file, reason });
      return null;
    }
    if (image.width !== this.width || image.height !== this.height) {
      throw new Error(
        `${path} is ${image.width}x${image.height} but the dataset's images are ${this.width}x${this.height} (from ${this.sizeFrom}); ` +
          `pass size and fit: 'resize' or 'pad' to load mixed sizes`,
      );
    }
    return { image, label: e.label, file: e.file, index: i };
  }

  /** "N images, M skipped: a.png (reason), ..." */
  summary(): string {
    const head = `${this.entries.length} labelled images in ${this.dir}, ${this.skipped.length} skipped`;
    if (this.skipped.length === 0) return head;
    const shown = this.skipped.slice(0, 20).map((s) => `  ${s.file}: ${s.reason}`);
    if (this.skipped.length > 20) shown.push(`  ... and ${this.skipped.length - 20} more`);
    return `${head}:\n${shown.join('\n')}`;
  }
}

/** Opens a folder dataset (see FolderDataset). */
export function openFolderDataset(dir: string, opts: FolderDatasetOptions = {}): Promise<FolderDataset> {
  return FolderDataset.open(dir, opts);
}
