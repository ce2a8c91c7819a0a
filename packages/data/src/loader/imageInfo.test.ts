import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bmp, gif, jpeg, noise, pattern, png, pngChunk, pngHeaderOnly, tempDir, webp } from '../test/helpers';
import { decodeImage, decodeImageFile } from './decode';
import { ImageDecodeError, inspectImage } from './imageInfo';

const tmp = tempDir();
afterAll(tmp.cleanup);

const big = noise(48, 40); // PNG of about 6 KB: noise does not compress
const problem = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as ImageDecodeError;
  }
  throw new Error('expected an error');
};

describe('image headers: truncation', () => {
  it('the first 500 bytes of a 6 KB PNG are an error naming the file, not a picture', async () => {
    const bytes = png(big);
    expect(bytes.length).toBeGreaterThan(5000);
    const file = join(tmp.dir, 'cut.png');
    writeFileSync(file, bytes.subarray(0, 500));
    const e = await problem(decodeImageFile(file));
    expect(e).toBeInstanceOf(ImageDecodeError);
    expect(e.kind).toBe('truncated');
    expect(e.message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: truncated PNG: the IDAT chunk at offset \\d+ needs \\d+ bytes, the file ends at 500$`),
    );
    // The whole file decodes exactly.
    const whole = await decodeImage(bytes, { channels: 'rgb' });
    expect(Buffer.from(whole.data).equals(Buffer.from(big.data))).toBe(true);
  });

  it('every proper prefix of a PNG, JPEG, GIF, BMP and WebP is rejected', async () => {
    const small = noise(16, 12, 7);
    for (const [fmt, bytes] of [
      ['png', png(small)],
      ['jpeg', jpeg(small, 90)],
      ['gif', gif(small)],
      ['bmp', bmp(small)],
      ['webp', webp(small)],
    ] as const) {
      await expect(decodeImage(bytes), fmt).resolves.toMatchObject({ width: 16, height: 12 });
      const step = Math.max(1, Math.floor(bytes.length / 40));
      for (let len = 1; len < bytes.length; len += step) {
        const e = await problem(decodeImage(bytes.subarray(0, len), { name: `${fmt}-${len}` }));
        expect(e.message, `${fmt} cut at ${len}`).toMatch(new RegExp(`^${fmt}-${len}: `));
        expect(['truncated', 'not-an-image', 'corrupt'], `${fmt} cut at ${len}: ${e.message}`).toContain(e.kind);
      }
      // The last byte matters too (the JPEG EOI, the GIF trailer, the PNG IEND CRC).
      const e = await problem(decodeImage(bytes.subarray(0, bytes.length - 1), { name: 'x' }));
      expect(e.kind, `${fmt}: ${e.message}`).toMatch(/truncated|corrupt/);
    }
  });

  it('JPEG: a file cut in the entropy-coded data has no end-of-image marker', async () => {
    const bytes = jpeg(noise(40, 30), 90);
    const e = await problem(decodeImage(bytes.subarray(0, Math.floor(bytes.length * 0.6)), { name: 'a.jpg' }));
    expect(e.message).toMatch(/^a\.jpg: truncated JPEG: no end-of-image marker/);
  });

  it('PNG: a bit flip in the image data fails its CRC; short image data inflates too little', async () => {
    const bytes = Buffer.from(png(pattern(12, 8)));
    const idat = bytes.indexOf('IDAT');
    bytes[idat + 10] ^= 0x04;
    expect((await problem(decodeImage(bytes, { name: 'f.png' }))).message).toMatch(/^f\.png: corrupt PNG: CRC mismatch in the IDAT chunk/);
    // Valid chunks, but far less image data than 300x2 needs: the decoder would fill the rest.
    const e = await problem(decodeImage(pngHeaderOnly(300, 2), { name: 'short.png' }));
    expect(e.message).toBe('short.png: corrupt PNG: the image data inflates to 4 bytes, a 300x2 image needs 602');
  });

  it('empty files and non-images', async () => {
    expect((await problem(decodeImage(new Uint8Array(0), { name: 'e.png' }))).message).toBe('e.png: empty file (0 bytes)');
    const e = await problem(decodeImage(Buffer.from('<svg></svg>'), { name: 'x.png' }));
    expect([e.kind, e.message]).toEqual(['not-an-image', 'x.png: not an image (no PNG, JPEG, GIF, BMP or WebP signature)']);
    await expect(decodeImageFile(join(tmp.dir, 'nope.png'))).rejects.toThrow(/nope\.png: cannot read the file \(ENOENT\)/);
  });
});

describe('image headers: size limit', () => {
  it('a 69-byte PNG announcing 16000x16000 fails fast, naming the file and both sizes', async () => {
    const bomb = pngHeaderOnly(16000, 16000);
    expect(bomb.length).toBe(69);
    const file = join(tmp.dir, 'bomb.png');
    writeFileSync(file, bomb);
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const e = await problem(decodeImageFile(file));
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 << 20); // the pixels would be 256 MB (gray) to 1 GB (RGBA)
    expect(e.kind).toBe('too-large');
    expect(e.message).toBe(`${file}: image is 16000x16000, larger than the limit 4096x4096 (maxImageSize)`);
  });

  it('reads the size from every format before decoding, and the limit is configurable', async () => {
    const img = pattern(12, 8);
    const limit = { width: 10, height: 100 };
    for (const [fmt, bytes] of [
      ['png', png(img)],
      ['jpeg', jpeg(img)],
      ['gif', gif(img)],
      ['bmp', bmp(img)],
      ['webp', webp(img)],
    ] as const) {
      expect(inspectImage(bytes), fmt).toEqual({ format: fmt, width: 12, height: 8 });
      await expect(decodeImage(bytes, { maxImageSize: limit, name: fmt }), fmt).rejects.toThrow(
        `${fmt}: image is 12x8, larger than the limit 10x100 (maxImageSize)`,
      );
      await expect(decodeImage(bytes, { maxImageSize: { width: 12, height: 8 } }), fmt).resolves.toMatchObject({ width: 12, height: 8 });
    }
    // Forged headers: JPEG SOF, GIF screen, BMP info header, WebP VP8X canvas.
    const forged = (bytes: Buffer, patch: (b: Buffer) => void) => {
      const b = Buffer.from(bytes);
      patch(b);
      return b;
    };
    const j = jpeg(img);
    const sof = [...j.keys()].find((i) => j[i] === 0xff && j[i + 1] === 0xc0)!;
    const cases: [string, Buffer][] = [
      ['jpeg', forged(j, (b) => (b.writeUInt16BE(60000, sof + 5), b.writeUInt16BE(60000, sof + 7)))],
      ['gif', forged(gif(img), (b) => (b.writeUInt16LE(60000, 6), b.writeUInt16LE(60000, 8)))],
      ['bmp', forged(bmp(img), (b) => (b.writeInt32LE(60000, 18), b.writeInt32LE(60000, 22)))],
    ];
    for (const [fmt, b] of cases)
      await expect(decodeImage(b, { name: fmt }), fmt).rejects.toThrow(`${fmt}: image is 60000x60000, larger than the limit 4096x4096`);
    const vp8x = Buffer.alloc(18);
    vp8x.write('VP8X', 0, 'ascii');
    vp8x.writeUInt32LE(10, 4);
    vp8x.writeUIntLE(59999, 12, 3);
    vp8x.writeUIntLE(59999, 15, 3);
    const riff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP'), vp8x]);
    riff.writeUInt32LE(riff.length - 8, 4);
    await expect(decodeImage(riff, { name: 'w.webp' })).rejects.toThrow('w.webp: image is 60000x60000, larger than the limit 4096x4096');
    await expect(decodeImage(png(img), { maxImageSize: { width: 0, height: 5 } })).rejects.toThrow(/maxImageSize must be/);
    expect(pngChunk('IEND').length).toBe(12);
  });
});
