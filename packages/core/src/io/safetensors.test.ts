import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-core';
import { expectClose } from '../nn/testing';
import { tf } from '../tf';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/parity/Linear.safetensors', import.meta.url));

/** Builds a file by hand: header object and raw data bytes, the header length given or computed. */
function rawFile(header: unknown, data: number[] | Uint8Array, headerText?: string, lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32Bytes = (xs: number[]) => new Uint8Array(new Float32Array(xs).buffer);

describe('safetensors', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'captcha-nn-st-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('round-trips float32, int32 and bool tensors, scalars, empty tensors and metadata', () => {
    const dict: Record<string, Tensor> = {
      'a.weight': tf.tensor([
        [1.5, -2.25, 3e-7],
        [4, 5, -6e9],
      ]),
      idx: tf.tensor([0, -7, 2147483647, -2147483648], [2, 2], 'int32'),
      mask: tf.tensor([true, false, true], [3], 'bool'),
      s: tf.scalar(0.125),
      empty: tf.zeros([0, 3]),
    };
    const bytes = encodeSafetensors(dict, { format: 'pt', spec: '{"x":1}' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0); // data starts aligned
    const { tensors, metadata } = decodeSafetensors(bytes, 'mem');
    expect(metadata).toEqual({ format: 'pt', spec: '{"x":1}' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(dict).sort());
    for (const [k, t] of Object.entries(dict)) {
      expect(tensors[k].dtype).toBe(t.dtype);
      expect(tensors[k].shape).toEqual(t.shape);
      expect(Array.from(tensors[k].dataSync())).toEqual(Array.from(t.dataSync()));
    }
  });

  it('refuses tensors it cannot store', () => {
    expect(() => encodeSafetensors({ c: tf.tensor(['a']) })).toThrow(/'c' has dtype string/);
  });

  it('decodes a file written by the Python fixture script', () => {
    return readFile(FIXTURE).then((buf) => {
      const { tensors, metadata } = decodeSafetensors(new Uint8Array(buf), FIXTURE);
      expect(metadata.kind).toBe('module');
      expect(JSON.parse(metadata.spec).type).toBe('Linear');
      const { input, output } = tensors;
      const w = tensors['state.weight'];
      const b = tensors['state.bias'];
      expect(w.shape).toEqual([5, 7]);
      const ref = tf.matMul(input, w, false, true).add(b);
      expectClose(output, ref, { atol: 1e-5 });
    });
  });

  it('reads F16, I64, U8 and BOOL', () => {
    const header = {
      h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
      l: { dtype: 'I64', shape: [2], data_offsets: [6, 22] },
      u: { dtype: 'U8', shape: [2], data_offsets: [22, 24] },
      b: { dtype: 'BOOL', shape: [2], data_offsets: [24, 26] },
    };
    const data = new Uint8Array(26);
    const dv = new DataView(data.buffer);
    [0x3c00, 0xc000, 0x3800].forEach((h, i) => dv.setUint16(i * 2, h, true));
    dv.setBigInt64(6, -5n, true);
    dv.setBigInt64(14, 2147483647n, true);
    data.set([7, 255, 1, 0], 22);
    const { tensors } = decodeSafetensors(rawFile(header, data));
    expect(Array.from(tensors.h.dataSync())).toEqual([1, -2, 0.5]);
    expect(tensors.l.dtype).toBe('int32');
    expect(Array.from(tensors.l.dataSync())).toEqual([-5, 2147483647]);
    expect(Array.from(tensors.u.dataSync())).toEqual([7, 255]);
    expect(tensors.b.dtype).toBe('bool');
    expect(Array.from(tensors.b.dataSync())).toEqual([1, 0]);

    dv.setBigInt64(14, 2147483648n, true);
    expect(() => decodeSafetensors(rawFile(header, data), 'big.safetensors')).toThrow(
      "safetensors big.safetensors: tensor 'l': I64 value 2147483648 at index 1 does not fit in int32",
    );
  });

  describe('rejects malformed files with an error naming the file', () => {
    const ok = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['a file shorter than the length field', () => new Uint8Array(5), /5 bytes, too short/],
      ['a header length past the end', () => rawFile(ok, f32Bytes([1, 2]), undefined, 1000n), /header length 1000 runs past the end/],
      ['a huge header length', () => rawFile(ok, f32Bytes([1, 2]), undefined, 2n ** 63n), /runs past the end/],
      ['bad JSON', () => rawFile(null, f32Bytes([1, 2]), '{"x": {"dtype": "F32",'), /header is not valid JSON/],
      ['a header that is not an object', () => rawFile([1, 2], []), /not a JSON object/],
      ['an unknown dtype', () => rawFile({ x: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, f32Bytes([1, 2])), /tensor 'x': unsupported dtype "Q4"/],
      [
        'offsets out of range',
        () => rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, f32Bytes([1, 2])),
        /data_offsets \[0,12\] out of range/,
      ],
      ['reversed offsets', () => rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, f32Bytes([1, 2])), /bad data_offsets/],
      [
        'a size that disagrees with the shape',
        () => rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
        /8 bytes for F32 \[3\], which needs 12/,
      ],
      [
        'overlapping tensors',
        () => rawFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32Bytes([1, 2, 3])),
        /'y' overlaps 'x'/,
      ],
      ['a hole in the data', () => rawFile({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32Bytes([1, 2])), /hole in the data before tensor 'x'/],
      ['trailing bytes', () => rawFile(ok, f32Bytes([1, 2, 3])), /4 trailing bytes/],
      ['non-string metadata', () => rawFile({ __metadata__: { n: 3 } }, []), /__metadata__ entry 'n' is not a string/],
      ['a bad shape', () => rawFile({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32Bytes([1, 2])), /bad shape/],
    ];
    for (const [what, make, msg] of cases)
      it(what, () => {
        let err: Error | undefined;
        try {
          decodeSafetensors(make(), 'bad.safetensors');
        } catch (e) {
          err = e as Error;
        }
        expect(err?.name).toBe('SafetensorsError');
        expect(err?.message).toMatch(/^safetensors bad\.safetensors: /);
        expect(err?.message).toMatch(msg);
      });

    it('a truncated or corrupted real file, loaded from disk', async () => {
      const good = new Uint8Array(await readFile(FIXTURE));
      const dir = await tempDir();
      const cut = join(dir, 'cut.safetensors');
      await writeFile(cut, good.subarray(0, good.length - 3));
      await expect(loadSafetensors(cut)).rejects.toThrow(`safetensors ${cut}: `);
      const headerOnly = join(dir, 'header-only.safetensors');
      await writeFile(headerOnly, good.subarray(0, 20));
      await expect(loadSafetensors(headerOnly)).rejects.toThrow(/runs past the end of the file/);
      const flipped = good.slice();
      flipped[8] = 0x5b; // '{' -> '['
      expect(() => decodeSafetensors(flipped, 'flipped')).toThrow(/^safetensors flipped: header is not valid JSON/);
    });
  });

  describe('saveSafetensors', () => {
    it('writes a file that loads back and leaves no temporary file', async () => {
      const dir = await tempDir();
      const path = join(dir, 'model.safetensors');
      await saveSafetensors(
        path,
        {
          w: tf.tensor([
            [1, 2],
            [3, 4],
          ]),
        },
        { note: 'hi' },
      );
      await saveSafetensors(path, { w: tf.tensor([5, 6, 7]) }, { note: 'again' }); // overwrite
      expect(await readdir(dir)).toEqual(['model.safetensors']);
      const { tensors, metadata } = await loadSafetensors(path);
      expect(metadata).toEqual({ note: 'again' });
      expect(Array.from(tensors.w.dataSync())).toEqual([5, 6, 7]);
    });

    it('never shows a reader half a file while it writes', async () => {
      const dir = await tempDir();
      const path = join(dir, 'big.safetensors');
      await saveSafetensors(path, { x: tf.zeros([4]) });
      const big = { x: tf.ones([4_000_000]) };
      let done = false;
      const writing = saveSafetensors(path, big).finally(() => {
        done = true;
      });
      const seen = new Set<number>();
      while (!done) {
        const { tensors } = await loadSafetensors(path); // throws on a partial file
        seen.add(tensors.x.shape[0]);
        tensors.x.dispose();
      }
      await writing;
      const { tensors } = await loadSafetensors(path);
      expect(tensors.x.shape).toEqual([4_000_000]);
      for (const n of seen) expect([4, 4_000_000]).toContain(n);
      expect(await readdir(dir)).toEqual(['big.safetensors']);
    });

    it('removes its temporary file and leaves the target alone when the rename fails', async () => {
      const dir = await tempDir();
      const target = join(dir, 'taken');
      await mkdir(target);
      await writeFile(join(target, 'keep'), 'x');
      await expect(saveSafetensors(target, { x: tf.ones([3]) })).rejects.toThrow();
      expect((await readdir(dir)).sort()).toEqual(['taken']);
      expect(await readdir(target)).toEqual(['keep']);
    });

    it('writes nothing when encoding fails', async () => {
      const dir = await tempDir();
      const path = join(dir, 'm.safetensors');
      await saveSafetensors(path, { x: tf.ones([2]) });
      const before = await readFile(path);
      await expect(saveSafetensors(path, { c: tf.tensor(['a']) })).rejects.toThrow(/dtype string/);
      expect(await readdir(dir)).toEqual(['m.safetensors']);
      expect(Buffer.compare(await readFile(path), before)).toBe(0);
    });
  });
});
