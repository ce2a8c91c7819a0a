import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng, type ImageBuffer } from '@captcha-nn/data';
import { LETTER_SIZE, letterImage } from './letterImage';
import { readRender, readRenderFolder } from './renders';
import { REDDIT_SEGMENTATION, type SegmentOptions, segmentCaptcha } from './segment';

export const REDDIT_WIDTH = 120;
export const REDDIT_HEIGHT = 50;

/** The letter images of one render, or why its segmentation failed. */
export function lettersOf(image: ImageBuffer<Uint8Array>, opts: SegmentOptions = REDDIT_SEGMENTATION): ImageBuffer<Uint8Array>[] | string {
  const s = segmentCaptcha(image, opts);
  if (!s.ok) return s.reason;
  for (const c of s.letters) if (c.x1 - c.x0 > LETTER_SIZE || c.y1 - c.y0 > LETTER_SIZE) return 'a segment out of letter size';
  return s.letters.map((c) => letterImage(image, c));
}

export interface LettersSummary {
  renders: number;
  dropped: number;
  letters: number;
  /** Failed segmentations by reason. */
  reasons: Record<string, number>;
}

/**
 * Segments every render of a folder (`<text>-<render>_<label>.png`) and
 * writes each letter of the renders that segment into six as
 * `<text>-<render>-<position>_<letter>.png`: a labelled folder of letters
 * for `captcha-nn train`.
 */
export async function writeLetterFolder(dataDir: string, outDir: string, opts: SegmentOptions = REDDIT_SEGMENTATION): Promise<LettersSummary> {
  const texts = await readRenderFolder(dataDir);
  await mkdir(outDir, { recursive: true });
  const summary: LettersSummary = { renders: 0, dropped: 0, letters: 0, reasons: {} };
  for (const t of texts) {
    if ([...t.label].length !== opts.letters) throw new Error(`${dataDir}: text ${t.text} is labelled ${t.label}, not ${opts.letters} letters`);
    const writes: Promise<void>[] = [];
    for (const [r, file] of t.files.entries()) {
      summary.renders++;
      const letters = lettersOf(await readRender(file, REDDIT_WIDTH, REDDIT_HEIGHT), opts);
      if (typeof letters === 'string') {
        summary.dropped++;
        summary.reasons[letters] = (summary.reasons[letters] ?? 0) + 1;
        continue;
      }
      letters.forEach((im, p) => {
        writes.push(writeFile(join(outDir, `${t.text}-${r}-${p}_${t.label[p]}.png`), encodePng(im)));
      });
      summary.letters += letters.length;
    }
    await Promise.all(writes);
  }
  return summary;
}
