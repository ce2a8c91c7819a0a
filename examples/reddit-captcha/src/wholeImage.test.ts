import { setBackend } from '@captcha-nn/core';
import { buildTinyCaptcha } from '@captcha-nn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { blocks } from './testImages';
import { wholeImageReader } from './wholeImage';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('wholeImageReader', () => {
  it("turns a text model's [N,6,C] scores into per-position log-probabilities for every render, across batches", () => {
    const { model } = buildTinyCaptcha({ variant: 'compact', numClasses: 27, length: 6, height: 50, width: 120, channels: 1 });
    const images = [0, 1, 2].map((i) => blocks(120, 50, [[10 * i, 5, 10, 14]]));
    const out = wholeImageReader(model, 2)(images);
    expect(out).toHaveLength(3);
    for (const v of out) {
      expect(v).not.toBeNull();
      expect(v!.length).toBe(6 * 27);
      for (let p = 0; p < 6; p++) {
        const sum = Array.from(v!.subarray(p * 27, (p + 1) * 27)).reduce((a, b) => a + Math.exp(b), 0);
        expect(sum).toBeCloseTo(1, 4);
      }
    }
    expect(Array.from(out[0]!)).not.toEqual(Array.from(out[2]!));
    model.dispose();
  });
});
