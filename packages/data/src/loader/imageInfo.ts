/**
 * Reads an image's format and dimensions from its header and checks that the
 * file is complete, without decoding a pixel. `decodeImage` runs this first,
 * so that
 *
 * - a header announcing a huge image (a decompression bomb, or garbage) is
 *   rejected before the decoder allocates its pixels, and
 * - a truncated file is an error instead of a half-decoded picture (skia
 *   decodes what it has and fills the rest).
 *
 * Per format: PNG walks every chunk (lengths within the file, CRCs, IHDR
 * first, IEND reached) and inflates the image data to check that it is
 * exactly as long as the header's size needs; JPEG walks the
 * markers and entropy-coded scans to the EOI marker; GIF walks its blocks to
 * the trailer; BMP checks that the pixel array (or RLE stream) fits in the
 * file; WebP checks the RIFF size against the file and walks its chunks.
 * Anything else is "not an image".
 */
import { inflateSync } from 'node:zlib';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp';

/** Why an image was rejected: the classes a loader counts when it skips files. */
export type ImageProblem = 'empty' | 'truncated' | 'too-large' | 'not-an-image' | 'corrupt' | 'unreadable';

/** Largest image accepted by default (width x height), against decompression bombs. */
export const DEFAULT_MAX_IMAGE_SIZE: Readonly<{ width: number; height: number }> = Object.freeze({ width: 4096, height: 4096 });

/** An image that cannot be used; the message is `<input>: <problem>`, one line. */
export class ImageDecodeError extends Error {
  constructor(
    /** The file path (or '<image bytes>'). */
    readonly input: string,
    readonly kind: ImageProblem,
    /** The message without the input's name. */
    readonly problem: string,
  ) {
    super(`${input}: ${problem}`);
    this.name = 'ImageDecodeError';
  }
}

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
}

export interface InspectOptions {
  /** Names the input in errors (default '<image bytes>'). */
  name?: string;
  /** Default DEFAULT_MAX_IMAGE_SIZE (4096x4096). */
  maxImageSize?: { width: number; height: number };
}

const SIGNATURES: [ImageFormat, number[]][] = [
  ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['gif', [0x47, 0x49, 0x46, 0x38]], // GIF8
  ['bmp', [0x42, 0x4d]], // BM
  ['webp', [0x52, 0x49, 0x46, 0x46]], // RIFF (WEBP checked below)
];

/** Checks a `maxImageSize` option; returns it or the default. */
export function checkMaxImageSize(max: unknown): { width: number; height: number } {
  if (max === undefined) return DEFAULT_MAX_IMAGE_SIZE;
  const m = max as { width?: unknown; height?: unknown } | null;
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;
  if (m === null || typeof m !== 'object' || !ok(m.width) || !ok(m.height))
    throw new Error(`maxImageSize must be { width, height } with positive integers, got ${JSON.stringify(max)}`);
  return { width: m.width as number, height: m.height as number };
}

/**
 * Format and size of an image from its header, after checking the size
 * against `maxImageSize` and the file for completeness. Throws an
 * ImageDecodeError naming `name`: 'empty', 'not-an-image', 'too-large',
 * 'truncated' or 'corrupt'.
 */
export function inspectImage(bytes: Uint8Array, opts: InspectOptions = {}): ImageInfo {
  const name = opts.name ?? '<image bytes>';
  const max = checkMaxImageSize(opts.maxImageSize);
  const fail = (kind: ImageProblem, problem: string): never => {
    throw new ImageDecodeError(name, kind, problem);
  };
  if (bytes.length === 0) fail('empty', 'empty file (0 bytes)');
  const format = sniff(bytes);
  if (!format) {
    const partial = SIGNATURES.find(([, sig]) => bytes.length < sig.length && bytes.every((b, i) => b === sig[i]));
    if (partial) fail('truncated', `truncated ${partial[0].toUpperCase()} (${bytes.length} bytes, shorter than its signature)`);
    fail('not-an-image', 'not an image (no PNG, JPEG, GIF, BMP or WebP signature)');
  }
  const r = new Reader(bytes, format!.toUpperCase(), fail);
  const limit = (width: number, height: number, what = 'image') => {
    if (width > max.width || height > max.height)
      fail('too-large', `${what} is ${width}x${height}, larger than the limit ${max.width}x${max.height} (maxImageSize)`);
  };
  switch (format!) {
    case 'png':
      return { format: 'png', ...png(r, limit) };
    case 'jpeg':
      return { format: 'jpeg', ...jpeg(r, limit) };
    case 'gif':
      return { format: 'gif', ...gif(r, limit) };
    case 'bmp':
      return { format: 'bmp', ...bmp(r, limit) };
    case 'webp':
      return { format: 'webp', ...webp(r, limit) };
  }
}

/** The format its signature says, or undefined. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  return sniff(bytes);
}

function sniff(b: Uint8Array): ImageFormat | undefined {
  for (const [format, sig] of SIGNATURES) {
    if (b.length >= sig.length && sig.every((x, i) => b[i] === x)) {
      if (format === 'webp' && !(b.length >= 12 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50)) {
        // RIFF but not (yet) WEBP: a truncated WebP if it is too short to tell.
        return b.length < 12 ? 'webp' : undefined;
      }
      return format;
    }
  }
  return undefined;
}

type Fail = (kind: ImageProblem, problem: string) => never;
type Limit = (width: number, height: number, what?: string) => void;

class Reader {
  constructor(
    readonly b: Uint8Array,
    readonly fmt: string,
    readonly fail: Fail,
  ) {}
  get n(): number {
    return this.b.length;
  }
  /** Fails as truncated unless bytes [at, at+len) exist. */
  need(at: number, len: number, what: string): void {
    if (at + len > this.b.length) this.fail('truncated', `truncated ${this.fmt}: ${what} needs bytes ${at}..${at + len}, the file ends at ${this.b.length}`);
  }
  u8(at: number): number {
    return this.b[at]!;
  }
  be16(at: number): number {
    return (this.b[at]! << 8) | this.b[at + 1]!;
  }
  le16(at: number): number {
    return this.b[at]! | (this.b[at + 1]! << 8);
  }
  be32(at: number): number {
    return ((this.b[at]! << 24) | (this.b[at + 1]! << 16) | (this.b[at + 2]! << 8) | this.b[at + 3]!) >>> 0;
  }
  le32(at: number): number {
    return (this.b[at]! | (this.b[at + 1]! << 8) | (this.b[at + 2]! << 16) | (this.b[at + 3]! << 24)) >>> 0;
  }
  le24(at: number): number {
    return this.b[at]! | (this.b[at + 1]! << 8) | (this.b[at + 2]! << 16);
  }
  ascii(at: number, len: number): string {
    return String.fromCharCode(...this.b.subarray(at, at + len));
  }
}

// ------------------------------------------------------------------ PNG

let crcTable: Uint32Array | undefined;
function crc32(b: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_DEPTHS: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};
// Adam7 passes: x start, y start, x step, y step.
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Bytes of filtered scanlines a PNG of this header inflates to. */
function pngRawSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  let total = 0;
  for (const [xs, ys, xi, yi] of ADAM7) total += rows(Math.ceil((width - xs!) / xi!), Math.ceil((height - ys!) / yi!));
  return total;
}

function png(r: Reader, limit: Limit): { width: number; height: number } {
  r.need(8, 25, 'the IHDR chunk');
  if (r.be32(8) !== 13 || r.ascii(12, 4) !== 'IHDR') r.fail('corrupt', 'corrupt PNG: the first chunk is not a 13-byte IHDR');
  const width = r.be32(16);
  const height = r.be32(20);
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) r.fail('corrupt', `corrupt PNG: IHDR size ${width}x${height}`);
  limit(width, height);
  const depth = r.u8(24);
  const colorType = r.u8(25);
  const interlace = r.u8(28);
  const kind = PNG_DEPTHS[colorType];
  if (!kind?.depths.includes(depth)) r.fail('corrupt', `corrupt PNG: bit depth ${depth} with colour type ${colorType}`);
  if (r.u8(26) !== 0 || r.u8(27) !== 0 || interlace > 1) r.fail('corrupt', 'corrupt PNG: unknown compression, filter or interlace method');
  let pos = 8;
  const idat: Uint8Array[] = [];
  for (;;) {
    if (pos + 8 > r.n) r.fail('truncated', `truncated PNG: no IEND chunk (the file ends after ${r.n} bytes)`);
    const len = r.be32(pos);
    const type = r.ascii(pos + 4, 4);
    if (!/^[A-Za-z]{4}$/.test(type)) r.fail('corrupt', `corrupt PNG: bad chunk type ${JSON.stringify(type)} at offset ${pos}`);
    if (len > 0x7fffffff) r.fail('corrupt', `corrupt PNG: ${type} chunk at offset ${pos} has length ${len}`);
    const end = pos + 12 + len;
    if (end > r.n) r.fail('truncated', `truncated PNG: the ${type} chunk at offset ${pos} needs ${len + 12} bytes, the file ends at ${r.n}`);
    // Every chunk's CRC (libpng only errors on critical ones, but an ancillary
    // chunk such as gAMA or iCCP can change the decoded colours too).
    if (crc32(r.b, pos + 4, pos + 8 + len) !== r.be32(pos + 8 + len)) r.fail('corrupt', `corrupt PNG: CRC mismatch in the ${type} chunk at offset ${pos}`);
    if (type === 'IDAT') idat.push(r.b.subarray(pos + 8, pos + 8 + len));
    if (type === 'IEND') break;
    pos = end;
  }
  if (idat.length === 0) r.fail('corrupt', 'corrupt PNG: no IDAT chunk before IEND');
  // The decoder fills missing rows silently: the image data must inflate to exactly what the header needs.
  const want = pngRawSize(width, height, depth * kind!.channels, interlace === 1);
  let got: number;
  try {
    got = inflateSync(idat.length === 1 ? idat[0]! : Buffer.concat(idat), { maxOutputLength: want + 1 }).length;
  } catch (e) {
    const msg = (e as Error).message;
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || /larger than/i.test(msg))
      return r.fail('corrupt', `corrupt PNG: the image data inflates to more than the ${want} bytes a ${width}x${height} image needs`);
    const kind = /unexpected end/i.test(msg) ? 'truncated' : 'corrupt';
    return r.fail(kind, `${kind} PNG: the image data does not inflate (${msg})`);
  }
  if (got !== want) r.fail('corrupt', `corrupt PNG: the image data inflates to ${got} bytes, a ${width}x${height} image needs ${want}`);
  return { width, height };
}

// ----------------------------------------------------------------- JPEG

function jpeg(r: Reader, limit: Limit): { width: number; height: number } {
  let pos = 2;
  let size: { width: number; height: number } | undefined;
  let scans = 0;
  const eoiMissing = () => r.fail('truncated', `truncated JPEG: no end-of-image marker (the file ends after ${r.n} bytes)`);
  for (;;) {
    if (pos >= r.n) eoiMissing();
    if (r.u8(pos) !== 0xff) r.fail('corrupt', `corrupt JPEG: expected a marker at offset ${pos}`);
    while (pos < r.n && r.u8(pos) === 0xff) pos++; // fill bytes
    if (pos >= r.n) eoiMissing();
    const m = r.u8(pos++);
    if (m === 0xd9) {
      if (!size) r.fail('corrupt', 'corrupt JPEG: no frame header (SOF) before the end-of-image marker');
      if (scans === 0) r.fail('corrupt', 'corrupt JPEG: no scan (SOS) before the end-of-image marker');
      return size!;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // TEM, RSTn: no length
    if (m === 0x00 || m === 0xd8) r.fail('corrupt', `corrupt JPEG: unexpected marker 0xff${m.toString(16).padStart(2, '0')} at offset ${pos - 2}`);
    r.need(pos, 2, `the segment at offset ${pos - 2}`);
    const len = r.be16(pos);
    if (len < 2) r.fail('corrupt', `corrupt JPEG: segment length ${len} at offset ${pos}`);
    r.need(pos, len, `the 0xff${m.toString(16)} segment at offset ${pos - 2}`);
    const sof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (sof) {
      if (len < 8) r.fail('corrupt', `corrupt JPEG: frame header of ${len} bytes`);
      if (size) r.fail('corrupt', 'corrupt JPEG: a second frame header (SOF)');
      const height = r.be16(pos + 3);
      const width = r.be16(pos + 5);
      if (width === 0 || height === 0) r.fail('corrupt', `corrupt JPEG: frame size ${width}x${height}`);
      limit(width, height);
      size = { width, height };
    }
    pos += len;
    if (m === 0xda) {
      if (!size) r.fail('corrupt', 'corrupt JPEG: a scan (SOS) before the frame header (SOF)');
      scans++;
      // Entropy-coded data runs to the next marker other than a stuffed 0xff00 or a restart marker.
      for (;;) {
        const ff = r.b.indexOf(0xff, pos);
        if (ff < 0 || ff + 1 >= r.n) eoiMissing();
        const next = r.u8(ff + 1);
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) {
          pos = ff + 2;
          continue;
        }
        pos = ff;
        break;
      }
    }
  }
}

// ------------------------------------------------------------------ GIF

function gif(r: Reader, limit: Limit): { width: number; height: number } {
  r.need(0, 13, 'the header');
  const version = r.ascii(0, 6);
  if (version !== 'GIF87a' && version !== 'GIF89a') r.fail('not-an-image', `not an image (GIF signature ${JSON.stringify(version)})`);
  const width = r.le16(6);
  const height = r.le16(8);
  if (width === 0 || height === 0) r.fail('corrupt', `corrupt GIF: screen size ${width}x${height}`);
  limit(width, height);
  const flags = r.u8(10);
  let pos = 13 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
  let frames = 0;
  const subBlocks = () => {
    for (;;) {
      r.need(pos, 1, 'a data sub-block');
      const s = r.u8(pos++);
      if (s === 0) return;
      pos += s;
    }
  };
  for (;;) {
    if (pos >= r.n) r.fail('truncated', `truncated GIF: no trailer (the file ends after ${r.n} bytes)`);
    const t = r.u8(pos);
    if (t === 0x3b) {
      if (frames === 0) r.fail('corrupt', 'corrupt GIF: no image before the trailer');
      return { width, height };
    }
    if (t === 0x21) {
      r.need(pos, 2, 'an extension');
      pos += 2;
      subBlocks();
    } else if (t === 0x2c) {
      r.need(pos, 10, 'an image descriptor');
      const fw = r.le16(pos + 5);
      const fh = r.le16(pos + 7);
      limit(fw, fh, `frame ${frames + 1}`);
      const f = r.u8(pos + 9);
      pos += 10 + (f & 0x80 ? 3 << ((f & 7) + 1) : 0);
      r.need(pos, 1, 'the LZW code size');
      pos++;
      subBlocks();
      frames++;
    } else {
      r.fail('corrupt', `corrupt GIF: unknown block 0x${t.toString(16)} at offset ${pos}`);
    }
  }
}

// ------------------------------------------------------------------ BMP

function bmp(r: Reader, limit: Limit): { width: number; height: number } {
  r.need(0, 18, 'the headers');
  const dib = r.le32(14);
  let width: number;
  let height: number;
  let bpp: number;
  let compression = 0;
  if (dib === 12) {
    r.need(14, 12, 'the BITMAPCOREHEADER');
    width = r.le16(18);
    height = r.le16(20);
    bpp = r.le16(24);
  } else if (dib >= 40 && dib <= 124) {
    r.need(14, dib, 'the BITMAPINFOHEADER');
    width = r.le32(18) | 0;
    height = Math.abs(r.le32(22) | 0);
    bpp = r.le16(28);
    compression = r.le32(30);
  } else {
    return r.fail('corrupt', `corrupt BMP: unsupported header size ${dib}`);
  }
  if (width <= 0 || height === 0) r.fail('corrupt', `corrupt BMP: size ${width}x${height}`);
  limit(width, height);
  const offset = r.le32(10);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) r.fail('corrupt', `corrupt BMP: ${bpp} bits per pixel`);
  if (compression === 0 || compression === 3 || compression === 6) {
    const row = Math.ceil((width * bpp) / 32) * 4;
    r.need(offset, row * height, `the ${width}x${height} pixel array`);
  } else if ((compression === 1 && bpp === 8) || (compression === 2 && bpp === 4)) {
    // RLE8 / RLE4: walk the stream to its end-of-bitmap code.
    let pos = offset;
    for (;;) {
      r.need(pos, 2, 'the RLE stream (no end-of-bitmap code)');
      const count = r.u8(pos);
      const value = r.u8(pos + 1);
      pos += 2;
      if (count > 0) continue;
      if (value === 1) break;
      if (value === 0) continue;
      if (value === 2) pos += 2;
      else {
        const bytes = compression === 1 ? value : Math.ceil(value / 2);
        pos += bytes + (bytes & 1);
      }
    }
  } else {
    r.fail('corrupt', `unsupported BMP compression ${compression} with ${bpp} bits per pixel`);
  }
  return { width, height };
}

// ----------------------------------------------------------------- WebP

function webp(r: Reader, limit: Limit): { width: number; height: number } {
  r.need(0, 12, 'the RIFF header');
  const riffEnd = 8 + r.le32(4);
  if (riffEnd > r.n) r.fail('truncated', `truncated WebP: the RIFF header says ${riffEnd} bytes, the file has ${r.n}`);
  let pos = 12;
  let size: { width: number; height: number } | undefined;
  let image = false;
  while (pos + 8 <= riffEnd) {
    const type = r.ascii(pos, 4);
    const len = r.le32(pos + 4);
    const data = pos + 8;
    if (data + len > riffEnd) r.fail('corrupt', `corrupt WebP: the ${JSON.stringify(type)} chunk at offset ${pos} runs past the RIFF end (${riffEnd})`);
    let dims: { width: number; height: number } | undefined;
    if (type === 'VP8 ') {
      if (len < 10 || r.u8(data + 3) !== 0x9d || r.u8(data + 4) !== 0x01 || r.u8(data + 5) !== 0x2a) r.fail('corrupt', 'corrupt WebP: bad VP8 frame header');
      dims = { width: r.le16(data + 6) & 0x3fff, height: r.le16(data + 8) & 0x3fff };
      image = true;
    } else if (type === 'VP8L') {
      if (len < 5 || r.u8(data) !== 0x2f) r.fail('corrupt', 'corrupt WebP: bad VP8L header');
      const bits = r.le32(data + 1);
      dims = { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
      image = true;
    } else if (type === 'VP8X') {
      if (len < 10) r.fail('corrupt', 'corrupt WebP: bad VP8X header');
      dims = { width: r.le24(data + 4) + 1, height: r.le24(data + 7) + 1 };
    } else if (type === 'ANMF') {
      image = true;
    }
    if (dims && !size) {
      if (dims.width === 0 || dims.height === 0) r.fail('corrupt', `corrupt WebP: size ${dims.width}x${dims.height}`);
      limit(dims.width, dims.height);
      size = dims;
    }
    pos = data + len + (len & 1);
  }
  if (!size || !image) r.fail('corrupt', 'corrupt WebP: no image data (VP8, VP8L or ANMF chunk)');
  return size!;
}
