import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'captcha-nn-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Small, quick captchas on the command line: 48x16, two characters from four. */
export const TINY_ARGS = ['--generate', 'simple', '--size', '48x16', '--length', '2', '--charset', 'ab12', '--val-size', '16'];
