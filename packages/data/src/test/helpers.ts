import { GifEncoder } from '@napi-rs/canvas';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { encodePng } from '../canvasNode';
import type { ImageBuffer } from '../image';
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

/** A noisy RGB image (compresses poorly, so its PNG is a few KB). */
export function noise(width: number, height: number, seed = 1): ImageBuffer<Uint8Array> {
  const data = new Uint8Array(width * height * 3);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = s & 255;
  }
  return { data, width, height, channels: 3 };
}

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A tiny PNG whose IHDR announces width x height (8-bit gray) with a few
 * bytes of IDAT: 69 bytes, a decompression bomb's header.
 */
export function pngHeaderOnly(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // gray
  const idat = deflateSync(Buffer.alloc(4)); // four zero bytes: far from width*height
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND')]);
}

export function webp(img: ImageBuffer, quality = 100): Buffer {
  const c = createCanvas(img.width, img.height);
  c.getContext('2d').putImageData(new ImageData(toRGBA(img), img.width, img.height), 0, 0);
  return c.encodeSync('webp', quality);
}
