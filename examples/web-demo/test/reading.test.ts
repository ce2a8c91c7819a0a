import { describe, expect, it, vi } from 'vitest';
import { decodeImage, encodePng, fitRGBA, fittedBox } from '@captcha-nn/data';
import { type CaptchaMeta, checkMeta, inputFromRGBA } from '../src/reading';

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

  it("reads a dark captcha of another size as training decoded it: fitted with the model's fit, inverted inside the picture only", async () => {
    // A 12x3 dark captcha with one light pixel, for a 6x6 model that trained with fit 'contain' and polarity 'light'.
    const img = { data: new Uint8Array(36).fill(30), width: 12, height: 3, channels: 1 };
    img.data[13] = 250;
    const m = { ...meta('light'), preprocessing: { ...meta('light').preprocessing, fit: 'contain' as const } };
    const rgba = new Uint8Array(36 * 4);
    for (let i = 0; i < 36; i++) {
      rgba.fill(img.data[i]!, i * 4, i * 4 + 3);
      rgba[i * 4 + 3] = 255;
    }
    const out = new Float32Array(36);
    inputFromRGBA(m, fitRGBA(rgba, 12, 3, 6, 6, 'contain'), out, 0, fittedBox(12, 3, 6, 6, 'contain'));
    const trained = await decodeImage(encodePng(img), { channels: 'gray', fit: 'contain', polarity: 'light', size: { width: 6, height: 6 } });
    // Within one grey level (the two scale through different canvases): a stretched or unfitted reading is off by far more.
    const diff = Array.from(out, (v, i) => Math.abs(Math.round(v * 255) - trained.data[i]!));
    expect(Math.max(...diff)).toBeLessThanOrEqual(1);
    // The padding (rows 0-1 and 4-5) stays white, and the picture's dark ground (rows 2-3) became light.
    expect([out[0], out[5 * 6 + 5], Math.round(out[3 * 6 + 2]! * 255)]).toEqual([1, 1, 255 - 30]);
  });

  it('checkMeta refuses a fit it does not know, naming it', () => {
    const m = { ...meta(), preprocessing: { ...meta().preprocessing, fit: 'stretch' } };
    expect(() => checkMeta(m as unknown as Record<string, unknown>, 'model/model.json')).toThrow(/model\/model.json: unsupported fit 'stretch'/);
  });
});
