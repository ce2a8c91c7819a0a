import type { ImageBuffer } from '@captcha-nn/data';
import type { Component } from './components';

/** Side of the square letter images the classifier reads. */
export const LETTER_SIZE = 28;

/**
 * A segment's pixels (their gray values, all else black) centred on a
 * size×size canvas, never scaled: a segment larger than the canvas is an error.
 */
export function letterImage(image: ImageBuffer<Uint8Array>, c: Component, size = LETTER_SIZE): ImageBuffer<Uint8Array> {
  if (image.channels !== 1) throw new Error(`letterImage: expected a gray image, got ${image.channels} channels`);
  const w = c.x1 - c.x0;
  const h = c.y1 - c.y0;
  if (w > size || h > size) throw new Error(`letterImage: a ${w}x${h} segment does not fit a ${size}x${size} letter image`);
  const dx = Math.floor((size - w) / 2) - c.x0;
  const dy = Math.floor((size - h) / 2) - c.y0;
  const data = new Uint8Array(size * size);
  for (const p of c.pixels) {
    const x = p % image.width;
    const y = (p - x) / image.width;
    data[(y + dy) * size + x + dx] = image.data[p]!;
  }
  return { data, width: size, height: size, channels: 1 };
}
