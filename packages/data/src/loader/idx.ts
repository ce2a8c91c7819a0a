import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { LabelEncoder } from '../charset';
import type { Sample } from '../generator';
import type { ImageSource } from '../pipeline';

/** IDX element types by their type byte. */
const TYPES = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
} as const;

export type IdxType = (typeof TYPES)[keyof typeof TYPES]['name'];
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: IdxData;
}

/** Largest element count accepted (2^31 - 1). */
const MAX_ELEMENTS = 0x7fffffff;

/**
 * Parses an IDX file (MNIST's format): two zero bytes, a type byte, the
 * number of dimensions, each dimension as a big-endian uint32, then the data,
 * big-endian. Throws a descriptive Error on anything malformed; never reads
 * past the buffer. Trailing bytes are an error too.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw new Error(`${name}: ${bytes.length} bytes, too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${name}: not an IDX file (the magic number must start with two zero bytes)`);
  const t = TYPES[bytes[2] as keyof typeof TYPES];
  if (!t) throw new Error(`${name}: unknown IDX type byte 0x${bytes[2]!.toString(16).padStart(2, '0')}`);
  const ndim = bytes[3]!;
  if (ndim === 0) throw new Error(`${name}: IDX with zero dimensions`);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new Error(`${name}: truncated header (${ndim} dimensions need ${header} bytes, got ${bytes.length})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
    if (count > MAX_ELEMENTS) throw new Error(`${name}: shape [${shape.join(', ')}...] has too many elements`);
  }
  const need = header + count * t.size;
  if (bytes.length < need) throw new Error(`${name}: truncated data (shape [${shape.join(', ')}] of ${t.name} needs ${need} bytes, got ${bytes.length})`);
  if (bytes.length > need) throw new Error(`${name}: ${bytes.length - need} unexpected trailing bytes after the data`);
  let data: IdxData;
  switch (t.name) {
    case 'uint8':
      data = bytes.slice(header, need);
      break;
    case 'int8':
      data = new Int8Array(bytes.slice(header, need).buffer);
      break;
    case 'int16':
      data = new Int16Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt16(header + 2 * i, false);
      break;
    case 'int32':
      data = new Int32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getInt32(header + 4 * i, false);
      break;
    case 'float32':
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(header + 4 * i, false);
      break;
    case 'float64':
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(header + 8 * i, false);
      break;
  }
  return { type: t.name, shape, data };
}

/** Encodes an array as IDX bytes (big-endian). */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const code = Number(Object.entries(TYPES).find(([, v]) => v.name === arr.type)?.[0]);
  if (!code) throw new Error(`unknown IDX type ${arr.type}`);
  const size = TYPES[code as keyof typeof TYPES].size;
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) throw new Error(`shape [${arr.shape.join(', ')}] holds ${count} elements, data has ${arr.data.length}`);
  const header = 4 + 4 * arr.shape.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = arr.shape.length;
  arr.shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = arr.data[i]!;
    const o = header + i * size;
    switch (arr.type) {
      case 'uint8':
        view.setUint8(o, v);
        break;
      case 'int8':
        view.setInt8(o, v);
        break;
      case 'int16':
        view.setInt16(o, v, false);
        break;
      case 'int32':
        view.setInt32(o, v, false);
        break;
      case 'float32':
        view.setFloat32(o, v, false);
        break;
      case 'float64':
        view.setFloat64(o, v, false);
        break;
    }
  }
  return out;
}

/** Gunzips when the bytes start with the gzip magic (1f 8b); output capped at 1 GiB. */
export function maybeGunzip(bytes: Uint8Array, name = 'data'): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes, { maxOutputLength: 1 << 30 });
    } catch (e) {
      throw new Error(`${name}: corrupt gzip data: ${(e as Error).message}`);
    }
  }
  return bytes;
}

/** Reads and parses an IDX file, raw or gzipped. */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseIdx(maybeGunzip(bytes, path), path);
}

export interface IdxDatasetOptions {
  /** Class k's label character (default '0123456789' for labels 0..9). */
  classNames?: string;
  blank?: 'first' | 'last';
}

/**
 * An IDX image/label pair (MNIST, Fashion-MNIST) as a source: images uint8
 * [N, H, W] or [N, H, W, C]; labels uint8 [N], each a one-character label.
 */
export class IdxDataset implements ImageSource {
  readonly size: number;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly maxLength = 1;
  readonly encoder: LabelEncoder;
  private readonly classNames: string[];

  constructor(
    readonly images: IdxArray,
    readonly labels: IdxArray,
    opts: IdxDatasetOptions = {},
  ) {
    if (images.type !== 'uint8') throw new Error(`IDX images must be uint8, got ${images.type}`);
    if (images.shape.length !== 3 && images.shape.length !== 4)
      throw new Error(`IDX images must be [N, H, W] or [N, H, W, C], got [${images.shape.join(', ')}]`);
    if (labels.shape.length !== 1) throw new Error(`IDX labels must be [N], got [${labels.shape.join(', ')}]`);
    if (labels.shape[0] !== images.shape[0]) throw new Error(`${images.shape[0]} images but ${labels.shape[0]} labels`);
    [this.size, this.height, this.width] = images.shape as [number, number, number];
    this.channels = images.shape[3] ?? 1;
    let maxLabel = 0;
    for (const v of labels.data) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`IDX label ${v} is not a class index`);
      maxLabel = Math.max(maxLabel, v);
    }
    const names = opts.classNames ?? '0123456789';
    this.classNames = [...names];
    if (maxLabel >= this.classNames.length)
      throw new Error(`IDX label ${maxLabel} has no class name (classNames has ${this.classNames.length}); pass classNames`);
    this.encoder = new LabelEncoder(names, { blank: opts.blank });
  }

  static async open(imagesPath: string, labelsPath: string, opts: IdxDatasetOptions = {}): Promise<IdxDataset> {
    const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
    return new IdxDataset(images, labels, opts);
  }

  async load(i: number): Promise<Sample<Uint8Array>> {
    if (!(i >= 0 && i < this.size)) throw new Error(`index ${i} is outside 0..${this.size - 1}`);
    const n = this.width * this.height * this.channels;
    const data = (this.images.data as Uint8Array).subarray(i * n, (i + 1) * n);
    return { image: { data, width: this.width, height: this.height, channels: this.channels }, label: this.classNames[this.labels.data[i]!]!, index: i };
  }
}
