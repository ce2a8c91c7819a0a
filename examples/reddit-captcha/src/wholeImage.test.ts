import { LogSoftMax, Sequential, SpatialConvolution, Squeeze, setBackend, Transpose } from '@captcha-nn/core';
import { buildTinyCaptcha } from '@captcha-nn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { blocks } from './testImages';
import { wholeImageReader } from './wholeImage';

beforeAll(async () => {
  await setBackend('wasm');
});

const images = () => [0, 1, 2].map((i) => blocks(120, 50, [[10 * i, 5, 10, 14]]));
const probabilitiesSumToOne = (v: Float32Array, rows: number, classes: number) => {
  for (let p = 0; p < rows; p++) expect(Array.from(v.subarray(p * classes, (p + 1) * classes)).reduce((a, b) => a + Math.exp(b), 0)).toBeCloseTo(1, 4);
};

describe('wholeImageReader', () => {
  it("turns a text model's [N,6,C] scores into per-position log-probabilities for every render, across batches", () => {
    const { model } = buildTinyCaptcha({ variant: 'compact', numClasses: 27, length: 6, height: 50, width: 120, channels: 1 });
    const out = wholeImageReader(model, { batchSize: 2 })(images());
    expect(out).toHaveLength(3);
    for (const r of out) {
      expect(r!.positional!.length).toBe(6 * 27);
      expect(r!.ids.length).toBe(6);
      probabilitiesSumToOne(r!.positional!, 6, 27);
    }
    expect(Array.from(out[0]!.positional!)).not.toEqual(Array.from(out[2]!.positional!));
    model.dispose();
  });

  it("reads a CTC model's [T,N,C] output per render (time-major in, one [T,C] reading per render out)", () => {
    // 30 steps of 4 columns each; 27 classes, the blank last.
    const model = new Sequential()
      .add(new SpatialConvolution(1, 27, 4, 50, 4, 50))
      .add(new Squeeze(1))
      .add(new Transpose([0, 1]))
      .add(new LogSoftMax());
    const imgs = images();
    const out = wholeImageReader(model, { blank: 26, batchSize: 2 })(imgs);
    expect(out).toHaveLength(3);
    for (const r of out) {
      expect(r!.positional).toBeUndefined();
      expect(r!.ids.every((k) => k >= 0 && k < 26)).toBe(true);
      expect(r!.logLikelihood(r!.ids)).toBeLessThanOrEqual(0);
    }
    // Render 2 read alone (a batch of one) gives the same reading as in a batch: the layout is per render.
    const alone = wholeImageReader(model, { blank: 26 })([imgs[2]!])[0]!;
    expect(Array.from(alone.ids)).toEqual(Array.from(out[2]!.ids));
    expect(alone.logLikelihood([0, 1, 2])).toBeCloseTo(out[2]!.logLikelihood([0, 1, 2]), 4);
    expect(out[0]!.logLikelihood([0, 1, 2])).not.toBeCloseTo(out[2]!.logLikelihood([0, 1, 2]), 4);
    model.dispose();
  });
});
