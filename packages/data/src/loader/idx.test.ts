import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../random';
import { tempDir } from '../test/helpers';
import { encodeIdx, IdxDataset, parseIdx, readIdx } from './idx';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Hand-built MNIST-style bytes, written independently of encodeIdx. */
function mnistImages(n: number, h: number, w: number): Buffer {
  const b = Buffer.alloc(16 + n * h * w);
  b.writeUInt32BE(0x00000803, 0);
  b.writeUInt32BE(n, 4);
  b.writeUInt32BE(h, 8);
  b.writeUInt32BE(w, 12);
  for (let i = 0; i < n * h * w; i++) b[16 + i] = (i * 7) & 255;
  return b;
}
function mnistLabels(labels: number[]): Buffer {
  const b = Buffer.alloc(8 + labels.length);
  b.writeUInt32BE(0x00000801, 0);
  b.writeUInt32BE(labels.length, 4);
  labels.forEach((l, i) => (b[8 + i] = l));
  return b;
}

describe('IDX', () => {
  it('parses raw and gzipped MNIST-format files', async () => {
    writeFileSync(join(tmp.dir, 'img.idx'), mnistImages(3, 4, 5));
    writeFileSync(join(tmp.dir, 'img.idx.gz'), gzipSync(mnistImages(3, 4, 5)));
    writeFileSync(join(tmp.dir, 'lab.idx.gz'), gzipSync(mnistLabels([7, 0, 9])));
    for (const f of ['img.idx', 'img.idx.gz']) {
      const a = await readIdx(join(tmp.dir, f));
      expect(a.type).toBe('uint8');
      expect(a.shape).toEqual([3, 4, 5]);
      expect(a.data[0]).toBe(0);
      expect(a.data[59]).toBe((59 * 7) & 255);
    }
    const ds = await IdxDataset.open(join(tmp.dir, 'img.idx.gz'), join(tmp.dir, 'lab.idx.gz'));
    expect([ds.size, ds.height, ds.width, ds.channels]).toEqual([3, 4, 5, 1]);
    const s = await ds.load(2);
    expect(s.label).toBe('9');
    expect(s.image.data[0]).toBe((40 * 7) & 255);
  });

  it('parses big-endian multi-byte types', () => {
    const b = Buffer.alloc(4 + 4 + 2 * 4);
    b[2] = 0x0b;
    b[3] = 1;
    b.writeUInt32BE(2, 4);
    b.writeInt16BE(-2, 8);
    b.writeInt16BE(300, 10);
    expect(Array.from(parseIdx(b.subarray(0, 12)).data)).toEqual([-2, 300]);
    const f = encodeIdx({ type: 'float64', shape: [2, 1], data: new Float64Array([1.5, -3.25]) });
    const back = parseIdx(f);
    expect(back.shape).toEqual([2, 1]);
    expect(Array.from(back.data)).toEqual([1.5, -3.25]);
    expect(new DataView(f.buffer).getFloat64(12, false)).toBe(1.5);
  });

  it('gives clear errors for malformed files', async () => {
    expect(() => parseIdx(new Uint8Array([1, 0, 8, 1]))).toThrow(/two zero bytes/);
    expect(() => parseIdx(new Uint8Array([0, 0, 0x42, 1]))).toThrow(/unknown IDX type byte 0x42/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 0]))).toThrow(/truncated header/);
    expect(() => parseIdx(mnistImages(3, 4, 5).subarray(0, 40))).toThrow(/truncated data/);
    expect(() => parseIdx(Buffer.concat([mnistLabels([1]), Buffer.from([0])]))).toThrow(/trailing/);
    const huge = Buffer.alloc(16);
    huge.writeUInt32BE(0x803, 0);
    huge.writeUInt32BE(0xffffffff, 4);
    huge.writeUInt32BE(0xffffffff, 8);
    huge.writeUInt32BE(0xffffffff, 12);
    expect(() => parseIdx(huge)).toThrow(/too many elements|truncated/);
    writeFileSync(join(tmp.dir, 'bad.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    await expect(readIdx(join(tmp.dir, 'bad.gz'))).rejects.toThrow(/corrupt gzip/);
    await expect(readIdx(join(tmp.dir, 'missing.idx'))).rejects.toThrow(/cannot read/);
    expect(() => new IdxDataset(parseIdx(mnistImages(2, 2, 2)), parseIdx(mnistLabels([1, 2, 3])))).toThrow(/2 images but 3 labels/);
    expect(() => new IdxDataset(parseIdx(mnistImages(1, 2, 2)), parseIdx(mnistLabels([12])))).toThrow(/no class name/);
  });

  it('fuzz: random bytes and mutated headers throw an Error or parse, never hang or crash', () => {
    const rng = createRng('fuzz-idx');
    const good = mnistImages(2, 3, 3);
    for (let i = 0; i < 3000; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: Math.floor(rng() * 40) }, () => Math.floor(rng() * 256));
        if (i % 4 === 0 && bytes.length > 3) {
          bytes[0] = 0;
          bytes[1] = 0;
          bytes[2] = [8, 9, 0xb, 0xc, 0xd, 0xe][Math.floor(rng() * 6)]!;
        }
      } else {
        bytes = Uint8Array.from(good);
        const k = Math.floor(rng() * 4) + 1;
        for (let j = 0; j < k; j++) bytes[Math.floor(rng() * 16)] = Math.floor(rng() * 256);
        bytes = bytes.subarray(0, Math.floor(rng() * (bytes.length + 1)));
      }
      try {
        const a = parseIdx(bytes);
        expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^IDX data: /);
      }
    }
  });
});
