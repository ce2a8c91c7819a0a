import { describe, expect, it, vi } from 'vitest';
import { type CaptchaMeta, inputFromRGBA } from '../src/reading';

// The page's entry needs OffscreenCanvas; these functions are the same in the Node entry.
vi.mock('@captcha-nn/data/browser', () => import('@captcha-nn/data'));

const meta = (polarity?: 'keep' | 'light'): CaptchaMeta => ({
  kind: 'captcha-nn-captcha-model',
  charset: 'ab',
  length: 1,
  task: { name: 'text', format: 'tensor' },
  input: { height: 6, width: 6, channels: 1 },
  preprocessing: { channels: 'gray', width: 6, height: 6, normalize: 'unit', ...(polarity ? { polarity } : {}) },
});

describe('inputFromRGBA', () => {
  it("inverts a dark-background captcha for a model trained with polarity 'light', and only then", () => {
    // Black background, a white pixel in the middle.
    const rgba = new Uint8Array(6 * 6 * 4);
    for (let i = 0; i < 36; i++) rgba[i * 4 + 3] = 255;
    rgba.fill(255, (3 * 6 + 3) * 4, (3 * 6 + 3) * 4 + 3);
    const read = (m: CaptchaMeta) => {
      const out = new Float32Array(36);
      inputFromRGBA(m, rgba, out);
      return [out[0], out[3 * 6 + 3]];
    };
    expect(read(meta('light'))).toEqual([1, 0]);
    expect(read(meta())).toEqual([0, 1]);
    expect(read(meta('keep'))).toEqual([0, 1]);
  });
});
