import { describe, expect, it } from 'vitest';
import { connectedComponents } from './components';
import { denoise, inkImage } from './denoise';
import { imageOf } from './testImages';

const boxes = (rows: string[]) => connectedComponents(denoise(imageOf(rows), 200)).map((c) => [c.x0, c.y0, c.x1, c.y1, c.pixels.length]);

describe('denoise', () => {
  it('keeps pixels at least as bright as the threshold', () => {
    const m = denoise(imageOf(['#+ ', '+#+']), 150);
    expect(Array.from(m.data)).toEqual([1, 1, 0, 1, 1, 1]);
    expect(Array.from(denoise(imageOf(['#+ ', '+#+']), 200).data)).toEqual([1, 0, 0, 0, 1, 0]);
  });

  it('reads gray images only, with a threshold in 0..255', () => {
    expect(() => denoise({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }, 100)).toThrow(/one-channel/);
    expect(() => denoise(imageOf(['#']), 300)).toThrow(/0\.\.255/);
  });

  it('inkImage: the same ink as a gray image, 255 on 0, leaving the input alone', () => {
    const im = imageOf(['#+ ', '+#+']);
    const ink = inkImage(im, 200);
    expect(Array.from(ink.data)).toEqual([255, 0, 0, 0, 255, 0]);
    expect([ink.width, ink.height, ink.channels]).toEqual([3, 2, 1]);
    expect(Array.from(im.data)).toEqual([255, 150, 0, 150, 255, 150]);
  });
});

describe('connectedComponents', () => {
  it('finds nothing in an empty image', () => {
    expect(boxes(['     ', '     '])).toEqual([]);
    expect(connectedComponents({ data: new Uint8Array(0), width: 0, height: 0 })).toEqual([]);
  });

  it('separates letters with a gap and joins touching ones, diagonals included', () => {
    expect(boxes(['##  #  ', '##  #  ', '     # ', ' #    #'])).toEqual([
      [0, 0, 2, 2, 4],
      [4, 0, 7, 4, 4],
      [1, 3, 2, 4, 1],
    ]);
  });

  it('follows a component that winds back (a U shape is one, its inside is not)', () => {
    expect(boxes(['#   #', '#   #', '#####'])).toEqual([[0, 0, 5, 3, 9]]);
  });

  it('ignores dim pixels (the grid) once denoised', () => {
    expect(boxes(['#+++#', '#+++#'])).toEqual([
      [0, 0, 1, 2, 2],
      [4, 0, 5, 2, 2],
    ]);
  });

  it('rejects a mask whose data does not fit its size', () => {
    expect(() => connectedComponents({ data: new Uint8Array(5), width: 2, height: 2 })).toThrow(/expected 4 pixels/);
  });
});
