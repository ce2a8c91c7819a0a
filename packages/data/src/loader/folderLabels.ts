/**
 * The labels of a folder's images: from their names, a regex, a CSV or a
 * labels file with one line per numbered image (`ans.txt`), with every
 * unlabelled file recorded; and the checks labels get before training.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { compileLabelRegex, labelFromFilename, labelFromRegex, parseLabelCsv, parseLabelLines, type LabelSource } from './labels';
import type { SkipLog } from './skipped';

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

/** The labelled files of a folder, in load order, and where their labels came from. */
export interface FolderLabels {
  entries: FolderEntry[];
  /** "file names (…)", "the CSV …": for errors. */
  how: string;
  /** The labels file, where there is one (part of the folder's fingerprint). */
  include: string[];
  /** Files listed in the labels file that are not in the folder (skipped, and counted as candidates). */
  missing: number;
}

/** Labels for `images` (sorted names in `root`) from `labels`; unlabelled files go to `log`. */
export async function readFolderLabels(root: string, images: readonly string[], labels: LabelSource, log: SkipLog): Promise<FolderLabels> {
  if (labels === 'filename')
    return { ...labelsFromNames(images, labelFromFilename, 'no label in the file name', log), how: 'file names (<label>.ext or <anything>_<label>.ext)' };
  if ('regex' in labels) {
    const re = compileLabelRegex(labels.regex);
    return { ...labelsFromNames(images, (f) => labelFromRegex(f, re), `the file name does not match ${re}`, log), how: `the regex ${re}` };
  }
  const path = resolve(root, labels.file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the labels file ${path}: ${(e as Error).message}`);
  }
  const read = labels.format === 'csv' ? labelsFromCsv(images, text, path, log) : labelsFromLines(images, text, path, labels.firstIndex ?? 'auto', log);
  return { ...read, include: [path] };
}

function labelsFromNames(images: readonly string[], labelOf: (file: string) => string | undefined, unlabelled: string, log: SkipLog) {
  const entries: FolderEntry[] = [];
  for (const f of images) {
    const l = labelOf(f);
    if (l === undefined) log.skip(f, unlabelled, 'unlabelled');
    else entries.push({ file: f, label: l });
  }
  return { entries, include: [], missing: 0 };
}

/** `file,label` rows; a file listed twice with different labels has no trustworthy label, and is skipped. */
function labelsFromCsv(images: readonly string[], text: string, path: string, log: SkipLog) {
  const labelFile = basename(path);
  const present = new Set(images);
  const rows = parseLabelCsv(text, path);
  const labelsOf = new Map<string, Set<string>>();
  for (const row of rows) (labelsOf.get(row.file) ?? labelsOf.set(row.file, new Set()).get(row.file)!).add(row.label);
  const entries: FolderEntry[] = [];
  const done = new Set<string>();
  let missing = 0;
  for (const row of rows) {
    if (done.has(row.file)) continue;
    done.add(row.file);
    const ls = labelsOf.get(row.file)!;
    if (!present.has(row.file)) {
      missing++;
      log.skip(row.file, `listed in ${labelFile} but not an image in the folder`, 'missing');
    } else if (ls.size > 1)
      log.skip(row.file, `listed in ${labelFile} with different labels (${[...ls].map((l) => JSON.stringify(l)).join(', ')})`, 'unlabelled');
    else if (row.label === '') log.skip(row.file, `empty label in ${labelFile}`, 'unlabelled');
    else entries.push({ file: row.file, label: row.label });
  }
  for (const f of images) if (!labelsOf.has(f)) log.skip(f, `not listed in ${labelFile}`, 'unlabelled');
  return { entries, how: `the CSV ${path}`, missing };
}

/** Line i of the labels file labels image `<base + i>.<ext>`; `base` 0 or 1 ('auto': 0 when a 0.<ext> exists). */
function labelsFromLines(images: readonly string[], text: string, path: string, firstIndex: 0 | 1 | 'auto', log: SkipLog) {
  const labelFile = basename(path);
  const lines = parseLabelLines(text);
  const numbered = new Map<number, string>();
  for (const f of images) {
    const stem = f.slice(0, f.length - extname(f).length);
    if (/^\d+$/.test(stem)) {
      const other = numbered.get(Number(stem));
      if (other !== undefined) log.skip(f, `has the same number as ${other}, so the line of ${labelFile} for it is ambiguous`, 'unlabelled');
      else numbered.set(Number(stem), f);
    } else if (f !== labelFile) log.skip(f, `not named <number>${extname(f)}, so no line of ${labelFile} labels it`, 'unlabelled');
  }
  if (firstIndex !== 0 && firstIndex !== 1 && firstIndex !== 'auto') throw new Error(`firstIndex must be 0, 1 or 'auto', got ${JSON.stringify(firstIndex)}`);
  const base = firstIndex === 'auto' ? (numbered.has(0) ? 0 : 1) : firstIndex;
  const entries: FolderEntry[] = [];
  for (const [i, f] of [...numbered.entries()].sort((a, b) => a[0] - b[0])) {
    const line = lines[i - base];
    if (line === undefined || line === '') log.skip(f, `${labelFile} has no label on line ${i - base + 1}`, 'unlabelled');
    else entries.push({ file: f, label: line });
  }
  return { entries, how: `${path}, line 1 labelling ${base}.<ext>`, missing: 0 };
}

/** Lower-cases the labels in place for `labelCase` 'fold' (keeping the written one); checks the option. */
export function applyLabelCase(entries: FolderEntry[], labelCase: 'keep' | 'fold' = 'keep'): 'keep' | 'fold' {
  if (labelCase !== 'keep' && labelCase !== 'fold') throw new Error(`labelCase must be 'keep' or 'fold', got ${JSON.stringify(labelCase)}`);
  if (labelCase === 'fold')
    for (const e of entries) {
      const lower = e.label.toLowerCase();
      if (lower !== e.label) {
        e.written = e.label;
        e.label = lower;
      }
    }
  return labelCase;
}
