import type { ImageBuffer } from '@captcha-nn/data';
import { type Component, type Mask, componentHeight, componentOf, componentWidth, connectedComponents } from './components';
import { denoise } from './denoise';

export interface SegmentOptions {
  /** Ink is at least this bright (0..255). */
  threshold: number;
  /** Components with fewer pixels, or shorter than `minHeight`, are dots and specks, dropped. */
  minArea: number;
  /**
   * Components with fewer core pixels (ink whose four neighbours are ink)
   * are grid lines, dropped: the grid is a line or two thick, bold strokes thicker.
   */
  minCore: number;
  /** Letters a captcha has. */
  letters: number;
  /** Segments wider than this hold touching letters and are split while there are too few. */
  splitWidth: number;
  /**
   * With too many segments: drop the smallest (fewest pixels) until there are
   * `letters` (leftover grid and specks are smaller than letters), instead of
   * failing the render.
   */
  trimExtra: boolean;
  /** Sizes a letter can have; a segment outside them fails the render. */
  minWidth: number;
  maxWidth: number;
  minHeight: number;
  maxHeight: number;
}

/**
 * Settings for reddit's captcha (Vera Sans Bold 18 px capitals), chosen by
 * `captcha-nn-reddit tune` on held-out renders (100 texts of seed `tune` ×
 * 20, in neither the training nor the test set). The hand-set values before
 * were minCore 4, splitWidth 19, trimExtra false, minHeight 7.
 */
export const REDDIT_SEGMENTATION: SegmentOptions = {
  threshold: 230,
  minArea: 12,
  minCore: 1,
  letters: 6,
  splitWidth: 16,
  trimExtra: true,
  minWidth: 2,
  maxWidth: 24,
  minHeight: 9,
  maxHeight: 24,
};

export type Segmentation = { ok: true; letters: Component[] } | { ok: false; reason: string; segments: Component[] };

/** Pixels of a component whose four neighbours are ink too. */
function corePixels(c: Component, mask: Mask): number {
  const { data, width: W, height: H } = mask;
  let n = 0;
  for (const p of c.pixels) {
    const x = p % W;
    const y = (p - x) / W;
    if (x > 0 && x < W - 1 && y > 0 && y < H - 1 && data[p - 1] && data[p + 1] && data[p - W] && data[p + W]) n++;
  }
  return n;
}

/** Horizontal overlap of two segments, as a fraction of the narrower one. */
function overlap(a: Component, b: Component): number {
  const o = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  return o / Math.min(componentWidth(a), componentWidth(b));
}

/** Splits a segment in two at the column of least ink in its middle half. */
function splitInTwo(c: Component, width: number): [Component, Component] {
  const w = componentWidth(c);
  const ink = new Array<number>(w).fill(0);
  for (const p of c.pixels) ink[(p % width) - c.x0]!++;
  let cut = Math.floor(w / 2);
  for (let x = Math.floor(w / 4); x < Math.ceil((3 * w) / 4); x++) if (ink[x]! < ink[cut]!) cut = x;
  const at = c.x0 + cut;
  const left = c.pixels.filter((p) => p % width < at);
  const right = c.pixels.filter((p) => p % width >= at);
  return [componentOf(left, width), componentOf(right, width)];
}

/**
 * Cuts a captcha into its letters, left to right: ink by intensity,
 * connected components, dots and specks dropped, pieces stacked over one
 * another merged, over-wide segments split at their thinnest column while
 * there are too few (and with `trimExtra` the smallest dropped while there
 * are too many). Anything but `letters` segments of letter size fails.
 */
export function segmentCaptcha(image: ImageBuffer<Uint8Array>, opts: SegmentOptions = REDDIT_SEGMENTATION): Segmentation {
  const mask = denoise(image, opts.threshold);
  let segs = connectedComponents(mask).filter(
    (c) => c.pixels.length >= opts.minArea && componentHeight(c) >= opts.minHeight && corePixels(c, mask) >= opts.minCore,
  );
  segs.sort((a, b) => a.x0 - b.x0);
  const merged: Component[] = [];
  for (const c of segs) {
    const last = merged[merged.length - 1];
    if (last && overlap(last, c) >= 0.6) merged[merged.length - 1] = componentOf([...last.pixels, ...c.pixels], image.width);
    else merged.push(c);
  }
  segs = merged;
  while (segs.length < opts.letters) {
    let widest = 0;
    for (let i = 1; i < segs.length; i++) if (componentWidth(segs[i]!) > componentWidth(segs[widest]!)) widest = i;
    if (segs.length === 0 || componentWidth(segs[widest]!) <= opts.splitWidth) break;
    segs.splice(widest, 1, ...splitInTwo(segs[widest]!, image.width));
  }
  if (opts.trimExtra && segs.length > opts.letters) {
    const smallest = [...segs].sort((a, b) => a.pixels.length - b.pixels.length).slice(0, segs.length - opts.letters);
    segs = segs.filter((c) => !smallest.includes(c));
  }
  if (segs.length !== opts.letters) return { ok: false, reason: segs.length < opts.letters ? 'too few segments' : 'too many segments', segments: segs };
  for (const s of segs) {
    const w = componentWidth(s);
    const h = componentHeight(s);
    if (w < opts.minWidth || w > opts.maxWidth || h < opts.minHeight || h > opts.maxHeight) {
      return { ok: false, reason: 'a segment out of letter size', segments: segs };
    }
  }
  return { ok: true, letters: segs };
}
