/** A PNG of the worst mistakes of an evaluation: each image with its label and what the model read. */
import { writeFile } from 'node:fs/promises';
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { answerKey, toRGBA, type AnswerCompare, type ImageBuffer } from '@captcha-nn/data';

export interface MistakeTile {
  image: ImageBuffer<Uint8Array>;
  /** The label as written. */
  label: string;
  text: string;
  confidence: number;
  /** The file name or index, printed small under the texts. */
  name: string;
}

export interface MistakesOptions {
  title?: string;
  /** How the site compares answers: a character is marked wrong only where this sees a difference (default exact). */
  compare?: AnswerCompare;
}

/**
 * Renders tiles in a grid (up to 4 columns): the image at 2x (nearest
 * pixel, so what the model saw stays visible) and under it the label, the
 * reading (wrong characters in red) and the confidence.
 */
export function renderMistakes(tiles: readonly MistakeTile[], o: MistakesOptions = {}): Buffer {
  const title = o.title ?? 'worst mistakes';
  if (tiles.length === 0) throw new Error('renderMistakes: no mistakes to draw (expected at least one)');
  const scale = 2;
  const imgW = Math.max(...tiles.map((t) => t.image.width)) * scale;
  const imgH = Math.max(...tiles.map((t) => t.image.height)) * scale;
  const tileW = Math.max(imgW, 170) + 16;
  const tileH = imgH + 62;
  const cols = Math.min(4, tiles.length);
  const rows = Math.ceil(tiles.length / cols);
  const canvas = createCanvas(cols * tileW, rows * tileH + 28);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000';
  ctx.font = 'bold 14px sans-serif';
  ctx.fillText(title, 8, 19);
  tiles.forEach((t, k) => drawTile(ctx, t, (k % cols) * tileW + 8, Math.floor(k / cols) * tileH + 28, scale, o.compare ?? 'exact'));
  return canvas.toBuffer('image/png');
}

function drawTile(ctx: SKRSContext2D, t: MistakeTile, x: number, y: number, scale: number, compare: AnswerCompare): void {
  const { width: w, height: h } = t.image;
  const tile = createCanvas(w, h);
  const tctx = tile.getContext('2d');
  const id = tctx.createImageData(w, h);
  id.data.set(toRGBA(t.image));
  tctx.putImageData(id, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, x, y, w * scale, h * scale);
  ctx.strokeStyle = '#999';
  ctx.strokeRect(x - 0.5, y - 0.5, w * scale + 1, h * scale + 1);
  const ty = y + h * scale + 16;
  ctx.font = '13px monospace';
  ctx.fillStyle = '#000';
  ctx.fillText(`label ${t.label}`, x, ty);
  // The reading, character by character: red where it differs from the label at that position.
  ctx.fillText('read  ', x, ty + 16);
  let cx = x + ctx.measureText('read  ').width;
  const want = [...t.label];
  const got = [...t.text];
  for (let i = 0; i < got.length; i++) {
    ctx.fillStyle = want[i] !== undefined && answerKey(got[i]!, compare) === answerKey(want[i]!, compare) ? '#000' : '#d00';
    ctx.fillText(got[i]!, cx, ty + 16);
    cx += ctx.measureText(got[i]!).width;
  }
  if (got.length === 0) {
    ctx.fillStyle = '#d00';
    ctx.fillText('(nothing)', cx, ty + 16);
  }
  ctx.fillStyle = '#555';
  ctx.font = '11px sans-serif';
  ctx.fillText(`conf ${t.confidence.toPrecision(2)}  ${t.name.length > 24 ? `…${t.name.slice(-23)}` : t.name}`, x, ty + 31);
}

/** Writes `renderMistakes(tiles)` to `path`. */
export async function writeMistakesPng(path: string, tiles: readonly MistakeTile[], o: MistakesOptions = {}): Promise<void> {
  await writeFile(path, renderMistakes(tiles, o));
}
