import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateDataSpec } from '../data';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'captcha-nn-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Small, quick captchas: 48x16, two characters from four. */
export const TINY_DATA: GenerateDataSpec & { channels: 'gray' } = {
  kind: 'generate',
  generator: 'simple',
  preset: 'seed',
  length: 2,
  size: { width: 48, height: 16 },
  charset: 'ab12',
  trainSize: 32,
  valSize: 16,
  fresh: false,
  channels: 'gray',
};

/** The same data as command-line arguments. */
export const TINY_ARGS = ['--generate', 'simple', '--size', '48x16', '--length', '2', '--charset', 'ab12', '--val-size', '16'];
