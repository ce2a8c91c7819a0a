import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@captcha-nn/core';
import { encodePng, fromRGBA, LabelEncoder, RedditCaptchaGenerator } from '@captcha-nn/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSegmentation } from './cli';
import { buildRedditLetter } from './index';
import { writeLetterFolder } from './letters';
import { REDDIT_SEGMENTATION, type SegmentOptions } from './segment';
import { changedSettings, coordinateAscent, tuneSegmentation } from './tune';

const root = mkdtempSync(join(tmpdir(), 'reddit-tune-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await setBackend('wasm');
});

describe('coordinateAscent', () => {
  // A made-up score with its peak at threshold 210, minArea 20, trimExtra on; letters break ties.
  const score = async (o: SegmentOptions) => ({
    captcha: 1 - Math.abs(o.threshold - 210) / 100 - Math.abs(o.minArea - 20) / 100 - (o.trimExtra ? 0 : 0.05),
    letters: o.minCore === 8 ? 0.9 : 0.8,
    dropRate: 0,
  });
  const grid = { threshold: [190, 210, 250], minArea: [12, 20, 30], trimExtra: [false, true], minCore: [4, 8] };

  it('moves each setting to its best value, others held, and breaks ties by letters', async () => {
    const start = { ...REDDIT_SEGMENTATION, threshold: 230, minArea: 12, minCore: 4, trimExtra: false };
    const r = await coordinateAscent(score, { grid, start });
    expect([r.best.options.threshold, r.best.options.minArea, r.best.options.trimExtra, r.best.options.minCore]).toEqual([210, 20, true, 8]);
    expect(r.start.options).toEqual(start);
    expect(changedSettings(r.best.options, start)).toBe('threshold: 210, minArea: 20, minCore: 8, trimExtra: true');
  });

  it('scores each setting once, and stops after a pass that changes nothing', async () => {
    const seen: string[] = [];
    const r = await coordinateAscent(
      async (o) => {
        seen.push(JSON.stringify(o));
        return score(o);
      },
      { grid, maxPasses: 5, start: { ...REDDIT_SEGMENTATION, trimExtra: false } },
    );
    expect(new Set(seen).size).toBe(seen.length);
    expect(r.trials.length).toBe(seen.length);
    expect(r.passes).toBe(2);
    await expect(coordinateAscent(score, { grid, maxPasses: 0 })).rejects.toThrow(/maxPasses must be a positive integer, got 0/);
  });
});

describe('tuneSegmentation on real renders', () => {
  it("scores a setting by one render's reading: the drop rate is what letters drops with the same settings", async () => {
    const dir = join(root, 'heldout');
    mkdirSync(dir);
    const gen = new RedditCaptchaGenerator({ seed: 'heldout' });
    for (let t = 0; t < 2; t++)
      for (let r = 0; r < 3; r++) {
        const { rgba, label } = gen.renderText(t, r);
        writeFileSync(join(dir, `${t}-${r}_${label}.png`), encodePng(fromRGBA(rgba, 120, 50, 'gray')));
      }
    const { model } = buildRedditLetter({ variant: 'compact', numClasses: 27, length: 1, height: 28, width: 28, channels: 1 });
    model.evaluate();
    const r = await tuneSegmentation(model, new LabelEncoder('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), dir, { grid: { threshold: [230, 255] }, maxPasses: 1, renders: 3 });
    expect(r.trials.map((t) => t.options.threshold)).toEqual([230, 255]);
    for (const t of r.trials) {
      const s = await writeLetterFolder(dir, join(root, `letters-${t.options.threshold}`), t.options);
      expect(t.dropRate).toBeCloseTo(s.dropped / 6, 6);
      expect(t.captcha).toBeLessThanOrEqual(1 - t.dropRate);
    }
    model.dispose();
  });
});

describe('readSegmentation', () => {
  it('replaces the named settings and refuses unknown names, wrong types and bad JSON, naming the file', async () => {
    const file = (name: string, text: string) => {
      const f = join(root, name);
      writeFileSync(f, text);
      return f;
    };
    expect(await readSegmentation(file('ok.json', '{"threshold": 210, "trimExtra": true}'))).toEqual({
      ...REDDIT_SEGMENTATION,
      threshold: 210,
      trimExtra: true,
    });
    await expect(readSegmentation(file('unknown.json', '{"treshold": 210}'))).rejects.toThrow(/unknown.json: unknown segmentation setting 'treshold'/);
    await expect(readSegmentation(file('type.json', '{"minArea": "12"}'))).rejects.toThrow(
      /type.json: segmentation setting 'minArea' is "12" \(expected a number\)/,
    );
    await expect(readSegmentation(file('bad.json', '{'))).rejects.toThrow(/bad.json: not a segmentation JSON file/);
    await expect(readSegmentation(file('array.json', '[]'))).rejects.toThrow(/array.json: expected a JSON object/);
  });
});
