/**
 * Reading and writing the safetensors format (https://github.com/huggingface/safetensors).
 *
 * Hand-written on purpose: no maintained safetensors package exists on npm
 * (the `safetensors` package there is an empty 0.0.1 stub), and the format is
 * small enough to implement exactly: an 8-byte little-endian header length,
 * a UTF-8 JSON header `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {string: string}}`, then the raw little-endian tensor bytes,
 * offsets counted from the end of the header.
 *
 * dtypes: F32, I32 and BOOL round-trip; F16 decodes to float32, U8 to int32,
 * and I64 (PyTorch's index type) to int32 when every value fits.
 *
 * Node's file APIs are imported lazily in `saveSafetensors`/`loadSafetensors`,
 * so browser bundles of the core can use `encode`/`decode` without them.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type NodeFs, type NodePath, nodeImport } from '../util/nodeImport';

/** A malformed or unsupported safetensors file; the message names the file. */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`safetensors ${file}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

type DType = 'F32' | 'F16' | 'I64' | 'I32' | 'U8' | 'BOOL';
const ITEM_SIZE: Record<DType, number> = { F32: 4, F16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };
const MAX_HEADER = 100_000_000; // the reference implementation's limit

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface Safetensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
  /** Each tensor's dtype as the file states it (F32, F16, I64…), before conversion. */
  dtypes: Record<string, string>;
}

/**
 * Serialises tensors (float32 → F32, int32 → I32, bool → BOOL) and optional
 * string metadata. Tensors are laid out largest item size first, then by
 * name, and the header is padded with spaces to 8 bytes, as the reference
 * writer does, so every tensor starts aligned.
 */
export function encodeSafetensors(dict: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = Object.entries(dict).map(([name, t]) => {
    if (name === '__metadata__') throw new SafetensorsError('<encode>', `'__metadata__' cannot name a tensor`);
    const dtype: DType | undefined = t.dtype === 'float32' ? 'F32' : t.dtype === 'int32' ? 'I32' : t.dtype === 'bool' ? 'BOOL' : undefined;
    if (!dtype) throw new SafetensorsError('<encode>', `tensor '${name}' has dtype ${t.dtype}, which safetensors cannot hold`);
    if (t.isDisposed) throw new SafetensorsError('<encode>', `tensor '${name}' is disposed`);
    return { name, t, dtype };
  });
  entries.sort((a, b) => ITEM_SIZE[b.dtype] - ITEM_SIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') throw new SafetensorsError('<encode>', `metadata '${k}' is not a string`);
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const { name, t, dtype } of entries) {
    const bytes = tensorBytes(t.dataSync() as Float32Array | Int32Array | Uint8Array, dtype);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function tensorBytes(values: Float32Array | Int32Array | Uint8Array, dtype: DType): Uint8Array {
  if (dtype === 'BOOL') return Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0));
  if (littleEndianHost) return new Uint8Array((dtype === 'F32' ? Float32Array.from(values) : Int32Array.from(values)).buffer);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  if (dtype === 'F32') values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else values.forEach((v, i) => view.setInt32(i * 4, v, true));
  return bytes;
}

/**
 * Parses a safetensors file. Anything malformed (a short file, a header
 * length past the end, bad JSON, offsets out of range, overlapping or leaving
 * holes, a size that disagrees with the shape, an unknown dtype, I64 values
 * outside int32) throws a SafetensorsError naming `name` and the problem.
 */
export function decodeSafetensors(bytes: Uint8Array, name = '<bytes>'): Safetensors {
  const fail = (problem: string): never => {
    throw new SafetensorsError(name, problem);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) fail(`header length ${n64} runs past the end of the file (${bytes.length - 8} bytes after the length)`);
  const n = Number(n64);
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (n < 2) fail(`header length ${n} is too short for a JSON object`);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const data = bytes.subarray(8 + n);

  const metadata: Record<string, string> = {};
  const specs: { key: string; dtype: DType; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, raw] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ entry '${k}' is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (key === '__proto__') fail(`the tensor name '__proto__' is not allowed`);
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') fail(`tensor '${key}': entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info;
    if (typeof dtype !== 'string' || !(dtype in ITEM_SIZE))
      fail(`tensor '${key}': unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEM_SIZE).join(', ')})`);
    const isCount = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
    if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor '${key}': bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isCount) || offs[0] > offs[1])
      fail(`tensor '${key}': bad data_offsets ${JSON.stringify(offs)}`);
    const [begin, end] = offs as number[];
    if (end > data.length) fail(`tensor '${key}': data_offsets [${begin},${end}] out of range (the data is ${data.length} bytes)`);
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const want = numel * ITEM_SIZE[dtype as DType];
    if (end - begin !== want) fail(`tensor '${key}': ${end - begin} bytes for ${dtype} [${(shape as number[]).join(',')}], which needs ${want}`);
    specs.push({ key, dtype: dtype as DType, shape: shape as number[], begin, end });
  }

  // The tensors must tile the data exactly: no overlaps, no holes, nothing after.
  const byStart = [...specs].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let prev = '';
  for (const s of byStart) {
    if (s.begin < expected) fail(`tensor '${s.key}' overlaps '${prev}' (offset ${s.begin} < ${expected})`);
    if (s.begin > expected) fail(`hole in the data before tensor '${s.key}' (bytes ${expected}..${s.begin})`);
    expected = s.end;
    prev = s.key;
  }
  if (expected !== data.length) fail(`${data.length - expected} trailing bytes after the last tensor`);

  const tensors: Record<string, Tensor> = {};
  const dtypes: Record<string, string> = {};
  try {
    for (const s of specs) {
      tensors[s.key] = toTensor(data.subarray(s.begin, s.end), s.dtype, s.shape, s.key, fail);
      dtypes[s.key] = s.dtype;
    }
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
  return { tensors, metadata, dtypes };
}

function toTensor(b: Uint8Array, dtype: DType, shape: number[], key: string, fail: (p: string) => never): Tensor {
  const count = b.length / ITEM_SIZE[dtype];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (dtype) {
    case 'F32': {
      const v = littleEndianHost ? new Float32Array(b.slice().buffer) : Float32Array.from({ length: count }, (_, i) => dv.getFloat32(i * 4, true));
      return tf.tensor(v, shape, 'float32');
    }
    case 'I32': {
      const v = littleEndianHost ? new Int32Array(b.slice().buffer) : Int32Array.from({ length: count }, (_, i) => dv.getInt32(i * 4, true));
      return tf.tensor(v, shape, 'int32');
    }
    case 'F16': {
      const v = new Float32Array(count);
      for (let i = 0; i < count; i++) v[i] = halfToFloat(dv.getUint16(i * 2, true));
      return tf.tensor(v, shape, 'float32');
    }
    case 'I64': {
      const v = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const x = dv.getBigInt64(i * 8, true);
        if (x < -2147483648n || x > 2147483647n) fail(`tensor '${key}': I64 value ${x} at index ${i} does not fit in int32`);
        v[i] = Number(x);
      }
      return tf.tensor(v, shape, 'int32');
    }
    case 'U8':
      return tf.tensor(Int32Array.from(b), shape, 'int32');
    case 'BOOL':
      return tf.tensor(
        Uint8Array.from(b, (x) => (x ? 1 : 0)),
        shape,
        'bool',
      );
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Writes a safetensors file atomically (see `writeFileAtomic`). Node only.
 */
export async function saveSafetensors(path: string, dict: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(dict, metadata));
}

/**
 * Writes a file atomically: the bytes go to a temporary file in the same
 * directory, which is fsynced and then renamed over `path`. A reader sees the
 * old file or the whole new one, never half a file; on failure the temporary
 * file is removed. Node only (node:fs is imported when called).
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const { dirname, basename, join } = await nodeImport<NodePath>('node:path');
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);
  let handle: Awaited<ReturnType<typeof fs.open>> | undefined;
  try {
    handle = await fs.open(tmp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, path);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  // Make the rename itself durable where the platform allows syncing a directory.
  try {
    const d = await fs.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* not supported on this platform (Windows): the rename is still atomic */
  }
}

/** Reads and decodes a safetensors file; errors name the path. Node only. */
export async function loadSafetensors(path: string): Promise<Safetensors> {
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const buf = await fs.readFile(path);
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
