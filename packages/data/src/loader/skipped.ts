/** The files a folder dataset skips, why, and the one-line summary a CLI prints. */
import { join } from 'node:path';
import { ImageDecodeError, type ImageProblem } from './imageInfo';

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

export const problemOf = (e: unknown): { kind: SkipKind; reason: string } =>
  e instanceof ImageDecodeError ? { kind: e.kind, reason: e.problem } : { kind: 'corrupt', reason: (e as Error).message };

/** The files skipped so far, in a folder; with `strict`, the first one is an error naming it instead. */
export class SkipLog {
  readonly files: SkippedFile[] = [];

  constructor(
    private readonly root: string,
    private readonly strict: boolean,
  ) {}

  /** A file skipped for its label (or its absence). */
  skip(file: string, reason: string, kind: SkipKind): void {
    if (this.strict) throw new Error(`${join(this.root, file)}: ${reason}`);
    this.files.push({ file, reason, kind });
  }

  /** A file whose image could not be read: `e` is the reader's error. */
  skipImage(file: string, e: unknown): void {
    if (this.strict) throw e;
    this.files.push({ file, ...problemOf(e) });
  }
}
