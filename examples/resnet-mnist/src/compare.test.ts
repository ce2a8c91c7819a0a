import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train, type EpochRecord } from '@captcha-nn/train';
import { afterAll, describe, expect, it } from 'vitest';
import { comparisonPanels, plotComparisons, readRun } from './index';

const tmp = mkdtempSync(join(tmpdir(), 'resnet-compare-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const record = (epoch: number, train: number | null, test: number | null): EpochRecord => ({
  type: 'epoch',
  epoch,
  step: epoch,
  samples: epoch,
  trainLoss: 1 / epoch,
  trainCharAccuracy: train,
  valLoss: null,
  valCharAccuracy: test,
  valCaptchaAccuracy: test,
  seconds: 1,
  samplesPerSecond: 1,
  learningRate: 0.1,
  time: '',
});

describe('plain against residual', () => {
  it('plots the error in percent: training dashed, test solid, a line per run and split', () => {
    const [errors, loss] = comparisonPanels([record(1, 0.9, 0.8), record(2, 0.95, null)], [record(1, 0.5, 0.25)], '34 layers');
    expect(errors!.title).toBe('34 layers: error (%)');
    expect(errors!.series.map((s) => [s.name, s.dashed ?? false])).toEqual([
      ['plain train', true],
      ['plain test', false],
      ['residual train', true],
      ['residual test', false],
    ]);
    expect(errors!.series[0]!.points[0]![1]).toBeCloseTo(10, 9);
    expect(errors!.series[1]!.points.map(([x, y]) => [x, y])).toEqual([
      [1, expect.closeTo(20, 9)],
      [2, Number.NaN],
    ]);
    expect(errors!.series[3]!.points).toEqual([[1, 75]]);
    expect(loss!.series.map((s) => s.points)).toEqual([
      [
        [1, 1],
        [2, 0.5],
      ],
      [[1, 1]],
    ]);
  });

  it('reads two runs of the same depth (settings from the checkpoint) and writes one PNG for them', async () => {
    const run = (residual: boolean) =>
      train({
        model: 'resnet',
        modelOptions: { depth: 10, residual },
        data: { kind: 'idx', dataset: 'mnist', trainSize: 32, valSize: 16 },
        epochs: 2,
        batchSize: 16,
        workers: 1,
        backend: 'wasm',
        out: join(tmp, residual ? 'residual' : 'plain'),
      });
    await run(false);
    await run(true);
    const runs = [await readRun(join(tmp, 'plain')), await readRun(join(tmp, 'residual'))];
    expect(runs.map((r) => [r.depth, r.residual, r.data, r.records.length])).toEqual([
      [10, false, 'mnist', 2],
      [10, true, 'mnist', 2],
    ]);
    const files = await plotComparisons(runs, join(tmp, 'plots'));
    expect(files).toEqual([join(tmp, 'plots', 'plain-vs-residual-mnist-10.png')]);
    const png = readFileSync(files[0]!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // Two 500-pixel panels side by side.
    expect(png.readUInt32BE(16)).toBe(1000);
    await expect(plotComparisons([runs[0]!, runs[0]!], join(tmp, 'x'))).rejects.toThrow(/two plain runs of depth 10/);
    expect(await plotComparisons([runs[0]!], join(tmp, 'none'))).toEqual([]);
    expect(existsSync(join(tmp, 'none'))).toBe(true);
  });
});
