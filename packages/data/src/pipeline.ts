import { tf } from '@captcha-nn/core';
import type { Tensor1D, Tensor2D, Tensor4D } from '@captcha-nn/core';
import { LabelEncoder } from './charset';
import { fromRGBA, normalizeInto, type ImageBuffer, type Normalization, type PixelFormat } from './image';
import type { CaptchaGenerator, Sample } from './generator';
import { createRng, permutation } from './random';

/**
 * A finite, indexable set of labelled images that decodes lazily: only
 * `load(i)` touches pixels. Folder, IDX and generator sources implement it.
 */
export interface ImageSource {
  readonly size: number;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly encoder: LabelEncoder;
  /** Longest label (the width of y). */
  readonly maxLength: number;
  /** Sample i, or null when it was skipped (unreadable; see the source's summary). */
  load(i: number): Promise<Sample<Uint8Array> | null>;
}

/** A view of some of a source's items, in the given order. */
export function subset(source: ImageSource, indices: ArrayLike<number>): ImageSource {
  const idx = Int32Array.from(indices as ArrayLike<number>);
  for (const i of idx) if (i < 0 || i >= source.size) throw new Error(`subset index ${i} is outside 0..${source.size - 1}`);
  return {
    size: idx.length,
    width: source.width,
    height: source.height,
    channels: source.channels,
    encoder: source.encoder,
    maxLength: source.maxLength,
    load: (i: number) => {
      if (!(i >= 0 && i < idx.length)) return Promise.reject(new Error(`index ${i} is outside 0..${idx.length - 1}`));
      return source.load(idx[i]!);
    },
  };
}

/**
 * The items of `first`, then those of `second`: one source over two sets of
 * the same shape, charset and label width (labelled images and pseudo-labelled ones).
 */
export function concatSources(first: ImageSource, second: ImageSource): ImageSource {
  for (const k of ['width', 'height', 'channels', 'maxLength'] as const)
    if (first[k] !== second[k]) throw new Error(`concatSources: the sources differ in ${k} (${first[k]} and ${second[k]})`);
  if (first.encoder.charset !== second.encoder.charset || first.encoder.blank !== second.encoder.blank)
    throw new Error(`concatSources: the sources label with different charsets ("${first.encoder.charset}" and "${second.encoder.charset}")`);
  const n = first.size;
  return withLoad({ ...first, size: n + second.size }, (i: number) => {
    if (!(Number.isInteger(i) && i >= 0 && i < n + second.size)) return Promise.reject(new Error(`index ${i} is outside 0..${n + second.size - 1}`));
    return i < n ? first.load(i) : second.load(i - n);
  });
}

/**
 * Seeded train/validation split: a fraction (0 < validation < 1) or a count
 * of items goes to validation, chosen by a seeded shuffle.
 */
export function splitSource(source: ImageSource, opts: { validation: number; seed?: string | number }): { train: ImageSource; validation: ImageSource } {
  const v = opts.validation;
  const n = source.size;
  const nVal = v > 0 && v < 1 ? Math.round(n * v) : v;
  if (!Number.isInteger(nVal) || nVal < 0 || nVal > n) throw new Error(`validation must be a fraction in (0,1) or a count in 0..${n}; got ${v}`);
  const perm = permutation(n, createRng('split', opts.seed ?? 0));
  return { validation: subset(source, perm.subarray(0, nVal)), train: subset(source, perm.subarray(nVal)) };
}

/** `source`'s sizes, shapes and encoder with another `load`. */
function withLoad(source: ImageSource, load: ImageSource['load']): ImageSource {
  const { size, width, height, channels, encoder, maxLength } = source;
  return { size, width, height, channels, encoder, maxLength, load };
}

/** The source with each loaded image replaced by `f(image, i)` (a seeded per-image transform: augmentation). */
export function mapImages(source: ImageSource, f: (image: ImageBuffer<Uint8Array>, i: number) => ImageBuffer<Uint8Array>): ImageSource {
  return withLoad(source, async (i: number) => {
    const s = await source.load(i);
    return s ? { ...s, image: f(s.image, i) } : s;
  });
}

/** The most bytes of pixels `cachedSource` keeps by default (256 MiB). */
export const DEFAULT_CACHE_BYTES = 256 * 2 ** 20;

/**
 * The source with each item loaded once and kept: for a set read again and
 * again unchanged, such as a run's validation images every epoch. A source
 * whose pixels would take more than `maxBytes` is returned as it is.
 * The cached samples are shared: readers must not write to their pixels.
 */
export function cachedSource(source: ImageSource, opts: { maxBytes?: number } = {}): ImageSource {
  const bytes = source.size * source.width * source.height * source.channels;
  if (bytes > (opts.maxBytes ?? DEFAULT_CACHE_BYTES)) return source;
  const kept = new Map<number, Promise<Sample<Uint8Array> | null>>();
  return withLoad(source, (i: number) => {
    let p = kept.get(i);
    if (!p) {
      p = source.load(i);
      kept.set(i, p);
      // A failed load is not kept: the next read tries again and reports its own error.
      p.catch(() => kept.delete(i));
    }
    return p;
  });
}

/** `count` images of a generator (indices start..start+count-1) as a source. */
export function generatorSource(gen: CaptchaGenerator, opts: { count: number; start?: number; format?: PixelFormat; blank?: 'first' | 'last' }): ImageSource {
  const start = opts.start ?? 0;
  const format = opts.format ?? 'gray';
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error(`count must be a positive integer, got ${opts.count}`);
  return {
    size: opts.count,
    width: gen.width,
    height: gen.height,
    channels: format === 'gray' ? 1 : format === 'rgb' ? 3 : 4,
    encoder: new LabelEncoder(gen.charset, { blank: opts.blank }),
    maxLength: gen.maxLength,
    load: async (i: number) => {
      const { rgba, label } = gen.render(start + i);
      return { image: fromRGBA(rgba, gen.width, gen.height, format), label, index: start + i };
    },
  };
}

/** One batch: NHWC float32 images, padded int32 class indices, label lengths. */
export interface Batch {
  /** [N, H, W, C] float32. */
  x: Tensor4D;
  /** [N, maxLength] int32; positions past a label's end hold the blank class. */
  y: Tensor2D;
  /** [N] int32 label lengths (for CTC). */
  lengths: Tensor1D;
  labels: string[];
  /** Source indices (or file names, where the source has them). */
  ids: Array<number | string>;
  /**
   * Items of the iteration order consumed through this batch, skipped ones
   * included: where to resume so that the next batch is the same.
   */
  end: number;
  dispose(): void;
}

export interface BatchOptions {
  batchSize: number;
  /** Seeded shuffle each epoch (default true). */
  shuffle?: boolean;
  seed?: string | number;
  /** Epoch number; with the seed it fixes the order (default 0). */
  epoch?: number;
  normalize?: Normalization;
  /** Drop a last, smaller batch (default false). */
  dropRemainder?: boolean;
  /** Batches decoded ahead of the consumer (default 1: the next one while the current one trains). */
  prefetch?: number;
  /** Images decoded at once within a batch (default 8). */
  concurrency?: number;
}

/**
 * Resolves after the event loop has run its pending macrotasks: setImmediate in Node, a
 * MessageChannel message in browsers (a chain of zero timeouts is clamped to 4 ms each there).
 */
function macrotask(): Promise<void> {
  if (globalThis.setImmediate) return new Promise((resolve) => globalThis.setImmediate(resolve));
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Samples as one batch of tensors: images [n, H, W, C], padded label indices [n, L] and label lengths. */
function packBatch(got: readonly Sample<Uint8Array>[], source: ImageSource, normalize: Normalization, end: number): Batch {
  const { width: W, height: H, channels: C, maxLength: L } = source;
  const pixels = W * H * C;
  const n = got.length;
  const x = new Float32Array(n * pixels);
  const y = new Int32Array(n * L);
  const lengths = new Int32Array(n);
  got.forEach((s, k) => {
    const im = s.image;
    if (im.width !== W || im.height !== H || im.channels !== C) {
      throw new Error(`${s.file ?? `item ${s.index}`}: image is ${im.width}x${im.height}x${im.channels}, expected ${W}x${H}x${C}`);
    }
    normalizeInto(im.data, C, normalize, x, k * pixels);
    source.encoder.encode(s.label, L, y, k * L, s.file);
    lengths[k] = [...s.label].length;
  });
  const xt = tf.tensor4d(x, [n, H, W, C], 'float32');
  const yt = tf.tensor2d(y, [n, L], 'int32');
  const lt = tf.tensor1d(lengths, 'int32');
  return {
    x: xt,
    y: yt,
    lengths: lt,
    labels: got.map((s) => s.label),
    ids: got.map((s) => s.file ?? s.index ?? -1),
    end,
    dispose: () => {
      xt.dispose();
      yt.dispose();
      lt.dispose();
    },
  };
}

/**
 * Iterates a source as tensor batches, decoding lazily (one batch plus the
 * prefetched ones in memory, never the whole set). Skipped items are left
 * out, so a batch is filled from the following items. Dispose each batch
 * (or use tf.tidy) once used.
 */
export async function* batches(source: ImageSource, opts: BatchOptions): AsyncGenerator<Batch, void, undefined> {
  const bs = opts.batchSize;
  if (!Number.isInteger(bs) || bs < 1) throw new Error(`batchSize must be a positive integer, got ${bs}`);
  if (source.size === 0) throw new Error('the source is empty');
  const prefetch = Math.max(0, opts.prefetch ?? 1);
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const normalize = opts.normalize ?? 'unit';
  const order =
    opts.shuffle === false
      ? Int32Array.from({ length: source.size }, (_, i) => i)
      : permutation(source.size, createRng('shuffle', opts.seed ?? 0, opts.epoch ?? 0));
  await tf.ready();
  let cursor = 0;

  const assemble = async (): Promise<Batch | null> => {
    const got: Sample<Uint8Array>[] = [];
    while (got.length < bs && cursor < order.length) {
      // Decode ahead only in the consumer's idle time: a data-parallel step awaits its
      // workers' replies, and drawing before it sent them would leave them waiting.
      await macrotask();
      const take = Math.min(concurrency, bs - got.length, order.length - cursor);
      const idx = Array.from(order.subarray(cursor, cursor + take));
      cursor += take;
      const loaded = await Promise.all(idx.map((i) => source.load(i)));
      for (let k = 0; k < loaded.length; k++) {
        const s = loaded[k];
        if (s) got.push({ ...s, index: s.index ?? idx[k] });
      }
    }
    // The event loop also takes its turns above: skia's and resvg's native memory is
    // released by finalizers that run there, and generated sources load without
    // ever awaiting I/O (without them, 1,000 mix images held about 240 MB).
    if (got.length === 0 || (opts.dropRemainder && got.length < bs)) return null;
    return packBatch(got, source, normalize, cursor);
  };

  const queue: Array<Promise<Batch | null>> = [];
  // Serialise assembly (the cursor is shared) while letting it run ahead of the consumer.
  let chain: Promise<unknown> = Promise.resolve();
  const schedule = () => {
    const p = chain.then(assemble);
    chain = p.catch(() => undefined);
    queue.push(p);
  };
  schedule();
  try {
    while (queue.length > 0) {
      while (queue.length < prefetch + 1 && cursor < order.length) schedule();
      const b = await queue.shift()!;
      if (!b) break;
      if (queue.length === 0 && cursor < order.length) schedule();
      yield b;
    }
  } finally {
    // Free batches decoded ahead but never consumed.
    for (const p of queue)
      p.then(
        (b) => b?.dispose(),
        () => undefined,
      );
  }
}
