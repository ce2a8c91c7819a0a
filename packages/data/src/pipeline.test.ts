import { tf } from '@captcha-nn/core';
import { describe, expect, it } from 'vitest';
import { captchaStream } from './generator';
import { batches, cachedSource, concatSources, generatorSource, splitSource, subset, type ImageSource } from './pipeline';
import { LabelEncoder } from './charset';
import { simplePreset } from './simple/builder';

/** A source whose pixels encode the item index; item 3 is "unreadable". */
function fakeSource(n: number, loads: number[] = []): ImageSource {
  const enc = new LabelEncoder('abc');
  return {
    size: n,
    width: 2,
    height: 1,
    channels: 1,
    encoder: enc,
    maxLength: 3,
    load: async (i) => {
      loads.push(i);
      if (i === 3) return null;
      return { image: { data: new Uint8Array([i, 255]), width: 2, height: 1, channels: 1 }, label: 'abc'.slice(0, 1 + (i % 3)), index: i };
    },
  };
}

describe('pipeline', () => {
  it('batches into NHWC float32 x, padded int32 y and lengths, skipping unreadable items', async () => {
    await tf.setBackend('cpu');
    const got: number[] = [];
    for await (const b of batches(fakeSource(10), { batchSize: 4, shuffle: false })) {
      expect(b.x.dtype).toBe('float32');
      expect(b.y.dtype).toBe('int32');
      expect(b.x.shape.slice(1)).toEqual([1, 2, 1]);
      const x = b.x.arraySync() as number[][][][];
      const y = b.y.arraySync() as number[][];
      const len = Array.from(b.lengths.dataSync());
      b.ids.forEach((id, k) => {
        const i = id as number;
        got.push(i);
        expect(x[k]![0]![0]![0]).toBeCloseTo(i / 255, 6);
        expect(x[k]![0]![1]![0]).toBe(1);
        const label = 'abc'.slice(0, 1 + (i % 3));
        expect(len[k]).toBe(label.length);
        expect(y[k]).toEqual([0, 1, 2].map((c, j) => (j < label.length ? c : 3)));
      });
      b.dispose();
    }
    expect(got).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('gives the event loop a turn per batch, even for a source that never awaits I/O (native memory is freed there)', async () => {
    await tf.setBackend('cpu');
    let turns = 0;
    let pending = true;
    const tick = () => {
      turns++;
      if (pending) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: number[] = [];
    for await (const b of batches(fakeSource(40), { batchSize: 4, shuffle: false, prefetch: 0 })) {
      seen.push(turns);
      b.dispose();
    }
    pending = false;
    // Ten batches: the macrotask queue ran between each (fakeSource's loads resolve as microtasks only).
    expect(seen).toHaveLength(10);
    for (let k = 1; k < seen.length; k++) expect(seen[k]!).toBeGreaterThan(seen[k - 1]!);
  });

  it('shuffles with a seed: reproducible per (seed, epoch), different across epochs', async () => {
    const order = async (seed: number, epoch: number) => {
      const ids: number[] = [];
      for await (const b of batches(fakeSource(40), { batchSize: 8, seed, epoch })) {
        ids.push(...(b.ids as number[]));
        b.dispose();
      }
      return ids;
    };
    const a = await order(1, 0);
    expect(await order(1, 0)).toEqual(a);
    expect(await order(1, 1)).not.toEqual(a);
    expect([...a].sort((p, q) => p - q)).toEqual([...Array(40).keys()].filter((i) => i !== 3));
  });

  it('prefetches: the next batch is decoded before the consumer asks for it, and no further', async () => {
    const loads: number[] = [];
    const it = batches(fakeSource(64, loads), { batchSize: 8, shuffle: false, prefetch: 1 })[Symbol.asyncIterator]();
    const first = await it.next();
    try {
      // Batch 1 (items 0..7, 3 skipped so 8 is pulled in) and batch 2 loaded; nothing beyond. Waited for, not timed:
      // on a busy machine the prefetch can take longer than any fixed pause.
      const sleep = () => new Promise((r) => setTimeout(r, 10));
      for (let t = 0; t < 500 && Math.max(...loads) < 15; t++) await sleep();
      expect(Math.max(...loads)).toBeGreaterThanOrEqual(15);
      for (let t = 0; t < 5; t++) await sleep();
      expect(Math.max(...loads)).toBeLessThan(24);
    } finally {
      first.value!.dispose();
      await it.return(undefined);
    }
  });

  it('does not leak tensors', async () => {
    const before = tf.memory().numTensors;
    for await (const b of batches(fakeSource(30), { batchSize: 7 })) b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('splits train/validation with a seed, disjoint and complete', () => {
    const src = fakeSource(100);
    const { train, validation } = splitSource(src, { validation: 0.2, seed: 3 });
    expect([train.size, validation.size]).toEqual([80, 20]);
    expect(() => splitSource(src, { validation: 101 })).toThrow(/validation must be/);
    expect(() => subset(src, [100])).toThrow(/outside/);
  });

  it('concatenates two sources: the items of the first, then those of the second, indices shifted', async () => {
    const a: number[] = [];
    const b: number[] = [];
    const both = concatSources(fakeSource(3, a), fakeSource(5, b));
    expect(both.size).toBe(8);
    const pixels = await Promise.all([0, 2, 3, 7].map(async (i) => (await both.load(i))?.image.data[0]));
    expect(pixels).toEqual([0, 2, 0, 4]);
    expect(a).toEqual([0, 2]);
    expect(b).toEqual([0, 4]);
    await expect(both.load(8)).rejects.toThrow(/outside 0..7/);
    const other = { ...fakeSource(2), encoder: new LabelEncoder('abd') };
    expect(() => concatSources(fakeSource(2), other)).toThrow(/different charsets/);
    expect(() => concatSources(fakeSource(2), { ...fakeSource(2), width: 3 })).toThrow(/differ in width/);
  });

  it('caches a source: each item loaded once, skipped items too, failed loads retried', async () => {
    const loads: number[] = [];
    const cached = cachedSource(fakeSource(6, loads));
    const first = await Promise.all([0, 1, 3, 1].map((i) => cached.load(i)));
    const again = await Promise.all([1, 0, 3].map((i) => cached.load(i)));
    expect(loads).toEqual([0, 1, 3]);
    expect(again[0]).toBe(first[1]);
    expect(again[1]).toBe(first[0]);
    expect(again[2]).toBeNull();
    expect(again[0]!.image.data).toEqual(new Uint8Array([1, 255]));

    let fail = true;
    const flaky: ImageSource = { ...fakeSource(2), load: async (i) => (fail ? Promise.reject(new Error(`item ${i} failed`)) : fakeSource(2).load(i)) };
    const c = cachedSource(flaky);
    await expect(c.load(1)).rejects.toThrow('item 1 failed');
    fail = false;
    expect((await c.load(1))!.label).toBe('ab');
  });

  it('leaves a source larger than its budget uncached', async () => {
    const loads: number[] = [];
    const src = fakeSource(6, loads);
    expect(cachedSource(src, { maxBytes: 11 })).toBe(src); // 6 items of 2 bytes
    const c = cachedSource(fakeSource(6, loads), { maxBytes: 12 });
    await c.load(2);
    await c.load(2);
    expect(loads).toEqual([2]);
  });

  it('drives training from a generator, on the fly', async () => {
    const gen = simplePreset('variable', { seed: 2 });
    const src = generatorSource(gen, { count: 6 });
    const out = [];
    for await (const b of batches(src, { batchSize: 3, shuffle: false })) {
      expect(b.x.shape).toEqual([3, 50, 200, 1]);
      expect(b.y.shape).toEqual([3, 8]);
      out.push(...b.labels);
      b.dispose();
    }
    expect(out).toEqual([0, 1, 2, 3, 4, 5].map((i) => gen.render(i).label));
    const stream = captchaStream(gen, { start: 10 });
    const s1 = await stream.next();
    const s2 = await stream.next();
    expect([s1.value!.index, s2.value!.index]).toEqual([10, 11]);
    expect(s1.value!.label).toBe(gen.render(10).label);
    await stream.return(undefined);
  });
});
