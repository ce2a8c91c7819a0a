import { GifEncoder } from '@napi-rs/canvas';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, type ImageBuffer } from '../image';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import { toRGBA } from '../image';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'captcha-nn-data-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic test pattern (not produced by our generators). */
export function pattern(width: number, height: number, seed = 0): ImageBuffer<Uint8Array> {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 16 + seed * 7) & 255;
      data[o + 1] = (y * 32 + seed * 13) & 255;
      data[o + 2] = ((x + y) * 8) & 255;
    }
  }
  return { data, width, height, channels: 3 };
}

export function png(img: ImageBuffer): Buffer {
  return encodePng(img);
}

export function jpeg(img: ImageBuffer, quality = 100): Buffer {
  const c = createCanvas(img.width, img.height);
  c.getContext('2d').putImageData(new ImageData(toRGBA(img), img.width, img.height), 0, 0);
  return c.encodeSync('jpeg', quality);
}

export function gif(img: ImageBuffer): Buffer {
  const enc = new GifEncoder(img.width, img.height);
  enc.addFrame(new Uint8Array(toRGBA(img).buffer), img.width, img.height);
  return enc.finish();
}

/** A 24-bit uncompressed BMP written by hand (bottom-up rows, BGR, rows padded to 4 bytes). */
export function bmp(img: ImageBuffer<Uint8Array>): Buffer {
  const { width: w, height: h, data, channels } = img;
  const row = Math.ceil((w * 3) / 4) * 4;
  const size = 54 + row * h;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'ascii');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(0, 30);
  b.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++) {
    const o = 54 + (h - 1 - y) * row;
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * channels;
      const g = channels === 1;
      b[o + x * 3] = data[g ? s : s + 2]!;
      b[o + x * 3 + 1] = data[g ? s : s + 1]!;
      b[o + x * 3 + 2] = data[s]!;
    }
  }
  return b;
}

/** Mean absolute difference of two equal-length byte arrays. */
export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

export function countDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
