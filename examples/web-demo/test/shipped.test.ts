import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '@captcha-nn/core';
import { loadCaptchaModel, predictFiles } from '@captcha-nn/train';
import { describe, expect, it } from 'vitest';

// What the browser suite holds the page to: public/captchas/index.json, written by scripts/ship-model.mjs.
const pub = fileURLToPath(new URL('../public/', import.meta.url));
const index = JSON.parse(readFileSync(join(pub, 'captchas/index.json'), 'utf8')) as {
  files: Array<{ file: string; label: string; node: string }>;
  node: { right: number; total: number };
};

describe('the shipped model and captchas', () => {
  it('are 20 labelled captchas that the shipped model reads in Node as index.json records', async () => {
    await setBackend('wasm');
    expect(index.files).toHaveLength(20);
    const m = await loadCaptchaModel(join(pub, 'model'));
    try {
      expect(m.metadata.model.name).toBe('crnn');
      const read = await predictFiles(
        m,
        index.files.map((f) => join(pub, 'captchas', f.file)),
      );
      expect(read.map((r) => r.text)).toEqual(index.files.map((f) => f.node));
      expect(index.files.filter((f) => f.node === f.label).length).toBe(index.node.right);
      // A model that read nothing would make the browser's accuracy check vacuous.
      expect(index.node.right).toBeGreaterThanOrEqual(10);
    } finally {
      m.model.dispose();
    }
  });
});
