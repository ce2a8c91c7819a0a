import type { GenerateDataSpec } from '@captcha-nn/train';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'captcha-nn-seq2seq-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Small seeded captchas for learning tests on a busy 2-core machine: 64×24,
 * charset 'ab12', 256 fixed training images and 64 for validation, gray.
 * `preset` and `length` differ per test.
 */
export function tinyTextData(preset: GenerateDataSpec['preset'], length: [number, number]): GenerateDataSpec & { channels: 'gray' } {
  return {
    kind: 'generate',
    generator: 'simple',
    preset,
    length,
    size: { width: 64, height: 24 },
    charset: 'ab12',
    trainSize: 256,
    valSize: 64,
    fresh: false,
    channels: 'gray',
  };
}
