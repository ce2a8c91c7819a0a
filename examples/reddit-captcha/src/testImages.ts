import type { ImageBuffer } from '@captcha-nn/data';

/** A gray image drawn from rows of text: '#' is 255, '+' is 150, anything else 0. */
export function imageOf(rows: string[]): ImageBuffer<Uint8Array> {
  const width = rows[0]!.length;
  const data = new Uint8Array(width * rows.length);
  rows.forEach((r, y) => {
    if (r.length !== width) throw new Error('imageOf: rows of unlike length');
    for (let x = 0; x < width; x++) data[y * width + x] = r[x] === '#' ? 255 : r[x] === '+' ? 150 : 0;
  });
  return { data, width, height: rows.length, channels: 1 };
}

/** A blank gray image with filled rectangles [x, y, w, h] at 255. */
export function blocks(width: number, height: number, rects: Array<[number, number, number, number]>): ImageBuffer<Uint8Array> {
  const data = new Uint8Array(width * height);
  for (const [x0, y0, w, h] of rects) for (let y = y0; y < y0 + h; y++) data.fill(255, y * width + x0, y * width + x0 + w);
  return { data, width, height, channels: 1 };
}
