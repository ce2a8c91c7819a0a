/**
 * Seeded fuzzing of what the core reads from untrusted files: safetensors
 * (truncations, bad header lengths, bad header JSON, bad dtypes, shapes and
 * offsets, NaN payloads), model.json specs (mutated architectures, garbage
 * JSON) and state dicts handed to loadStateDict (wrong dtypes, shapes, value
 * types, NaN, missing and extra keys).
 *
 * Every case must end in a correct result or an Error whose message names
 * the input (the file name, or every offending state-dict key); a state dict
 * that is refused must leave the model untouched. Crashes, hangs (CASE_MS per
 * case), leaked tensors and memory growth over MEMORY_BOUND fail the run. One
 * summary line is printed.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../src/io/model';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../src/io/safetensors';
import { StateDictValueError } from '../src/io/stateDict';
import { BatchNormalization } from '../src/nn/BatchNormalization';
import { Linear } from '../src/nn/Linear';
import { LogSoftMax } from '../src/nn/LogSoftMax';
import type { Module, StateDict } from '../src/nn/Module';
import { ReLU } from '../src/nn/ReLU';
import { Sequential } from '../src/nn/Sequential';
import { SpatialBatchNormalization } from '../src/nn/SpatialBatchNormalization';
import { SpatialConvolution } from '../src/nn/SpatialConvolution';
import { SpatialMaxPooling } from '../src/nn/SpatialMaxPooling';
import { SplitTable } from '../src/nn/SplitTable';
import { View } from '../src/nn/View';
import { LSTM } from '../src/rnn/LSTM';
import { Recurrent } from '../src/rnn/Recurrent';
import { Sequencer } from '../src/rnn/Sequencer';
import { tf } from '../src/tf';
import { StateDictError } from '../src/util/errors';
import { manualSeed } from '../src/util/random';
import seedrandom from 'seedrandom';

const SEED = 'captcha-nn-fuzz-1';
const CASE_MS = 5000;
const MEMORY_BOUND = 256 * 1024 * 1024;
const BATCH = 250;

const tally = { cases: 0, errors: 0, correct: 0, exact: 0, crashes: 0, hangs: 0, unclear: [] as string[], wrong: [] as string[] };
const perSuite: Record<string, number> = {};

const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const choose = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

let memBase: NodeJS.MemoryUsage | undefined;
let memPeak = 0;
function checkMemory(): void {
  const m = process.memoryUsage();
  if (!memBase) {
    memBase = m;
    return;
  }
  const grow = Math.max(m.rss - memBase.rss, m.arrayBuffers - memBase.arrayBuffers);
  memPeak = Math.max(memPeak, grow);
  expect(grow, `memory grew by ${(grow / 2 ** 20).toFixed(0)} MB`).toBeLessThan(MEMORY_BOUND);
}

/**
 * One case: `run` returns a verdict ('exact', 'correct' or 'WRONG: …') or
 * throws an Error whose message contains every string in `names`.
 */
async function runCase(suite: string, names: string[], run: () => Promise<string> | string): Promise<void> {
  tally.cases++;
  perSuite[suite] = (perSuite[suite] ?? 0) + 1;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((r) => {
    timer = setTimeout(() => r('hang'), CASE_MS);
  });
  try {
    const verdict = await Promise.race([Promise.resolve().then(run), hang]);
    if (verdict === 'hang') tally.hangs++;
    else if (verdict.startsWith('WRONG')) tally.wrong.push(`${names[0]}: ${verdict}`);
    else {
      tally.correct++;
      if (verdict === 'exact') tally.exact++;
    }
  } catch (e) {
    if (!(e instanceof Error)) tally.crashes++;
    else if (!names.every((n) => e.message.includes(n)) || e.message.includes('\n')) tally.unclear.push(`${names.join(' ')}: ${e.message}`);
    else tally.errors++;
  } finally {
    clearTimeout(timer);
  }
  if (tally.cases % BATCH === 0) checkMemory();
}

const disposeAll = (d: Record<string, unknown>) => {
  for (const t of Object.values(d)) if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
};

/** Values of a tensor for comparison, NaN-aware. */
const values = (t: Tensor) => Array.from(t.dataSync() as ArrayLike<number>, (v) => (Number.isNaN(v) ? 'NaN' : v));
const sameValues = (a: Tensor, b: Tensor) => JSON.stringify(values(a)) === JSON.stringify(values(b));

// ------------------------------------------------------------ safetensors

const ITEM: Record<string, number> = { F32: 4, F16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 };

function randomDict(rng: () => number): StateDict {
  const d: StateDict = {};
  for (let k = int(rng, 1, 5); k > 0; k--) {
    const shape = Array.from({ length: int(rng, 0, 3) }, () => int(rng, 0, 4));
    const n = shape.reduce((a, b) => a * b, 1);
    const dtype = choose(rng, ['float32', 'float32', 'int32', 'bool'] as const);
    const vals = Array.from({ length: n }, () => (dtype === 'float32' ? rng() * 10 - 5 : dtype === 'int32' ? int(rng, -1000, 1000) : int(rng, 0, 1)));
    d[`layer${k}.${choose(rng, ['weight', 'bias', 'running_mean'])}`] = tf.tensor(vals, shape, dtype);
  }
  return d;
}

/** Splits a safetensors file into its header object and data. */
function split(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}

function join(headerText: string | Uint8Array, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const h = typeof headerText === 'string' ? new TextEncoder().encode(headerText) : headerText;
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, h.length + lengthDelta)), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const junkValue = (rng: () => number): unknown =>
  choose(rng, [null, -1, 1.5, 1e20, 'F32', 'x', [], [1, 2, 3], [-1, 4], [0.5, 2], { a: 1 }, true, Number.MAX_SAFE_INTEGER, [2 ** 40, 2 ** 41]]);

function mutateSafetensors(rng: () => number, good: Uint8Array): { bytes: Uint8Array; how: string } {
  const op = int(rng, 0, 9);
  const b = good.slice();
  const { header, data } = split(good);
  const keys = Object.keys(header).filter((k) => k !== '__metadata__');
  const key = keys.length ? choose(rng, keys) : undefined;
  const entry = key ? (header[key] as Record<string, unknown>) : undefined;
  switch (op) {
    case 0:
      return { bytes: b.subarray(0, int(rng, 0, b.length - 1)), how: 'truncated' };
    case 1: {
      for (let k = int(rng, 1, 6); k > 0; k--) b[int(rng, 0, b.length - 1)] ^= 1 << int(rng, 0, 7);
      return { bytes: b, how: 'bit flips' };
    }
    case 2: {
      const v = choose(rng, [0n, 1n, 2n, 7n, BigInt(b.length), BigInt(b.length - 8), 1n << 40n, (1n << 64n) - 1n, 100_000_001n]);
      new DataView(b.buffer).setBigUint64(0, v, true);
      return { bytes: b, how: `header length ${v}` };
    }
    case 3:
      if (entry) entry.dtype = choose(rng, ['F32', 'I32', 'BOOL', 'F16', 'I64', 'U8', 'F64', 'BF16', 'f32', 5, null]);
      return { bytes: join(JSON.stringify(header), data), how: 'dtype' };
    case 4:
      if (entry) entry.shape = rng() < 0.5 ? junkValue(rng) : (entry.shape as number[]).map((d) => d + int(rng, -1, 1));
      return { bytes: join(JSON.stringify(header), data), how: 'shape' };
    case 5:
      if (entry) {
        const o = entry.data_offsets as number[];
        entry.data_offsets = rng() < 0.5 ? junkValue(rng) : [o[0]! + int(rng, -4, 4), o[1]! + int(rng, -4, 4)];
      }
      return { bytes: join(JSON.stringify(header), data), how: 'offsets' };
    case 6: {
      const text = JSON.stringify(header);
      const cut = choose(rng, [
        text.slice(0, int(rng, 0, text.length - 1)),
        choose(rng, [
          '[]',
          '5',
          'null',
          '"x"',
          '{"__metadata__": 5}',
          '{"__metadata__": {"a": 1}}',
          '{"__proto__": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}',
        ]),
        text.replace('{', '{"a":'),
      ]);
      return { bytes: join(cut, data), how: 'bad JSON' };
    }
    case 7: {
      const h = new TextEncoder().encode(JSON.stringify(header));
      h[int(rng, 0, h.length - 1)] = choose(rng, [0xff, 0xc3, 0x80, 0x00]);
      return { bytes: join(h, data), how: 'bad UTF-8' };
    }
    case 8:
      if (key) delete header[key];
      else header.extra = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
      return { bytes: join(JSON.stringify(header), data, int(rng, -2, 2)), how: 'entry removed' };
    default: {
      // NaN / infinity payloads in a float tensor: decoding is fine, loading with checkFinite is not.
      const f = keys.find(
        (k) =>
          (header[k] as { dtype: string }).dtype === 'F32' &&
          (header[k] as { data_offsets: number[] }).data_offsets[1]! > (header[k] as { data_offsets: number[] }).data_offsets[0]!,
      );
      if (f) {
        const [lo, hi] = (header[f] as { data_offsets: number[] }).data_offsets as [number, number];
        const at = good.length - data.length + lo + 4 * int(rng, 0, (hi - lo) / 4 - 1);
        new DataView(b.buffer).setFloat32(at, choose(rng, [NaN, Infinity, -Infinity]), true);
      }
      return { bytes: b, how: 'NaN payload' };
    }
  }
}

/** A decoded file is correct when every tensor is exactly the bytes its header entry points at. */
function checkDecoded(bytes: Uint8Array, out: { tensors: Record<string, Tensor>; dtypes: Record<string, string> }): string {
  const { header, data } = split(bytes);
  for (const [k, t] of Object.entries(out.tensors)) {
    const e = header[k] as { dtype: string; shape: number[]; data_offsets: [number, number] } | undefined;
    if (!e) return `WRONG: tensor ${k} not in the header`;
    if (JSON.stringify(t.shape) !== JSON.stringify(e.shape)) return `WRONG: ${k} shape ${t.shape} vs ${e.shape}`;
    if (out.dtypes[k] !== e.dtype) return `WRONG: ${k} dtype ${out.dtypes[k]} vs ${e.dtype}`;
    const raw = data.slice(e.data_offsets[0], e.data_offsets[1]);
    if (raw.length !== t.size * ITEM[e.dtype]!) return `WRONG: ${k} spans ${raw.length} bytes for ${t.size} values`;
    let want: ArrayLike<number> | undefined;
    if (e.dtype === 'F32') want = new Float32Array(raw.buffer);
    else if (e.dtype === 'I32') want = new Int32Array(raw.buffer);
    else if (e.dtype === 'BOOL') want = Array.from(raw, (x) => (x ? 1 : 0));
    if (want && JSON.stringify(Array.from(want, (v) => (Number.isNaN(v) ? 'NaN' : v))) !== JSON.stringify(values(t)))
      return `WRONG: ${k} values differ from the file's bytes`;
  }
  const entries = Object.keys(header).filter((k) => k !== '__metadata__');
  if (entries.length !== Object.keys(out.tensors).length) return 'WRONG: tensors missing from the result';
  return 'exact';
}

// ----------------------------------------------------------------- models

const metadata = { charset: 'abc', length: 3 };
function cnn(): Module {
  return new Sequential(
    new SpatialConvolution(1, 3, 3, 3, 1, 1, 1, 1),
    new SpatialBatchNormalization(3),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2),
    new View(-1, 3 * 4 * 4),
    new Linear(48, 5),
    new BatchNormalization(5),
    new LogSoftMax(),
  );
}
function rnn(): Module {
  return new Sequential(
    new View(-1, 4, 6),
    new SplitTable(1),
    new Sequencer(new Recurrent(5, new Linear(6, 5), new Linear(5, 5), new ReLU(), 4)),
    new Sequencer(new LSTM(5, 3)),
  );
}

/** Mutates a random node of a JSON value in place; returns the new root. */
function mutateJson(rng: () => number, root: unknown): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 40 || v === null || typeof v !== 'object') return;
    for (const [k, c] of Object.entries(v)) {
      nodes.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
      walk(c, depth + 1);
    }
  };
  walk(root, 0);
  if (nodes.length === 0 || rng() < 0.03) return junkValue(rng);
  const { parent, key } = choose(rng, nodes);
  const p = parent as Record<string | number, unknown>;
  const old = p[key];
  const op = int(rng, 0, 7);
  if (op === 0) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete p[key];
  } else if (op === 1) p[key] = typeof old === 'number' ? choose(rng, [-1, 0, 1, 2, 3, 0.5, 17, 300, -300]) : junkValue(rng);
  else if (op === 2)
    p[key] = choose(rng, ['Linear', 'LSTM', 'Sequential', 'Gizmo', 'SpatialConvolution', 'ReLU', 'ClassNLLCriterion', 'Module', 'constructor', '__proto__']);
  else if (op === 3 && !Array.isArray(parent))
    p[choose(rng, ['dispose', 'params', '__proto__', 'reset', 'noBias', 'train', 'ceil', 'constructor', 'toString', 'zzz'])] = junkValue(rng);
  else if (op === 4) p[key] = { type: 'Sequential', children: [old, old] };
  else if (op === 5) {
    let deep: unknown = { type: 'Identity' };
    for (let i = 0; i < int(rng, 10, 3000); i++) deep = { type: 'Sequential', children: [deep] };
    p[key] = deep;
  } else if (op === 6) p[key] = typeof old === 'string' ? `${old}x` : old === true ? false : old === false ? true : junkValue(rng);
  else p[key] = typeof old === 'number' ? int(rng, 1, 64) : old;
  return root;
}

describe('fuzz (core)', () => {
  it('safetensors, model.json specs and state dicts: correct results or clear errors', { timeout: 120_000 }, async () => {
    const t0 = performance.now();
    const rng: () => number = seedrandom.alea(SEED);
    manualSeed(1);
    const tensorsAtStart = tf.memory().numTensors;
    checkMemory();

    // -- safetensors
    const files: { bytes: Uint8Array; dict: StateDict }[] = [];
    for (let i = 0; i < 30; i++) {
      const dict = randomDict(rng);
      files.push({ bytes: encodeSafetensors(dict, rng() < 0.5 ? { format: 'x', note: 'fuzz' } : undefined), dict });
    }
    for (let i = 0; i < 3000; i++) {
      const name = `weights-${i}.safetensors`;
      const seed = choose(rng, files);
      const plain = rng() < 0.04;
      const { bytes, how } = plain ? { bytes: seed.bytes, how: 'unchanged' } : mutateSafetensors(rng, seed.bytes);
      await runCase('safetensors', [name], () => {
        let out: ReturnType<typeof decodeSafetensors>;
        try {
          out = decodeSafetensors(bytes, name);
        } catch (e) {
          if (!(e instanceof SafetensorsError)) throw new Error(`not a SafetensorsError (${how}): ${String(e)}`);
          throw e;
        }
        try {
          const verdict = checkDecoded(bytes, out);
          if (plain && verdict === 'exact')
            for (const [k, t] of Object.entries(seed.dict)) if (!sameValues(t, out.tensors[k]!)) return `WRONG: ${k} does not round-trip`;
          return verdict;
        } finally {
          disposeAll(out.tensors);
        }
      });
    }
    for (const f of files) disposeAll(f.dict);

    // -- model.json + weights
    const models: { json: string; weights: Uint8Array; state: Record<string, number[]> }[] = [];
    for (const make of [cnn, rnn]) {
      const m = make();
      const { json, weights } = encodeModel(m, { metadata });
      const sd = m.stateDict();
      models.push({
        json: new TextDecoder().decode(json),
        weights,
        state: Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, Array.from(t.dataSync())])),
      });
      disposeAll(sd);
      m.dispose();
    }
    for (let i = 0; i < 1000; i++) {
      const name = `models/m${i}`;
      const seed = choose(rng, models);
      let json: string | Uint8Array;
      const r = rng();
      if (r < 0.05) json = seed.json;
      else if (r < 0.15) json = seed.json.slice(0, int(rng, 0, seed.json.length - 1));
      else if (r < 0.2) json = Uint8Array.from(Array.from({ length: int(rng, 0, 64) }, () => int(rng, 0, 255)));
      else {
        let obj = JSON.parse(seed.json) as unknown;
        for (let k = int(rng, 1, 3); k > 0; k--) obj = mutateJson(rng, obj);
        json = JSON.stringify(obj) ?? 'undefined';
      }
      const weights = rng() < 0.15 ? mutateSafetensors(rng, seed.weights).bytes : seed.weights;
      await runCase('model', [name], () => {
        const loaded = decodeModel({ json, weights, name });
        try {
          // A model that loads holds exactly the weights of the file.
          const sd = loaded.model.stateDict();
          const file = decodeSafetensors(weights instanceof Uint8Array ? weights : new Uint8Array(weights), 'check');
          try {
            for (const [k, t] of Object.entries(sd))
              if (!file.tensors[k] || !sameValues(t, file.tensors[k]!)) return `WRONG: ${k} differs from the weights file`;
            if (Object.keys(file.tensors).length !== Object.keys(sd).length) return 'WRONG: weights file has other keys';
            const rawLoss = Object.values(sd).some((t) => t.dtype === 'float32' && values(t).some((v) => v === 'NaN'));
            return rawLoss ? 'WRONG: NaN weights loaded by default' : 'exact';
          } finally {
            disposeAll(sd);
            disposeAll(file.tensors);
          }
        } finally {
          loaded.model.dispose();
          loaded.criterion?.dispose();
        }
      });
    }

    // -- state dicts into a live model: all-or-nothing
    const model = new Sequential(new Linear(3, 2), new BatchNormalization(2), new Linear(2, 1));
    const keysOf = () => {
      const sd = model.stateDict();
      const meta = Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, { shape: t.shape, dtype: t.dtype, values: values(t) }]));
      disposeAll(sd);
      return meta;
    };
    for (let i = 0; i < 2000; i++) {
      const before = keysOf();
      const strict = rng() < 0.7;
      const checkFinite = rng() < 0.6;
      const dict: Record<string, unknown> = {};
      for (const [k, m] of Object.entries(before))
        dict[k] =
          m.dtype === 'int32'
            ? tf.scalar(int(rng, 0, 99), 'int32')
            : tf.tensor(
                Array.from({ length: m.shape.reduce((a, b) => a * b, 1) }, () => int(rng, -9, 9) / 4),
                m.shape,
                'float32',
              );
      for (let k = rng() < 0.3 ? 0 : int(rng, 1, 3); k > 0; k--) {
        const key = choose(rng, [...Object.keys(before), 'extra.weight']);
        const m = before[key];
        const op = int(rng, 0, 9);
        const old = dict[key];
        let next: unknown = old;
        if (op === 0) next = null;
        else if (op === 1) next = [1, 2];
        else if (op === 2) next = new Float32Array(2);
        else if (op === 3) next = 42;
        else if (op === 4) {
          next = tf.scalar(1);
          (next as Tensor).dispose();
        } else if (op === 5) next = tf.ones(m ? m.shape : [1], m?.dtype === 'int32' ? 'float32' : choose(rng, ['int32', 'bool'] as const));
        else if (op === 6) next = tf.ones([...(m ? m.shape : []), 2], m?.dtype === 'int32' ? 'int32' : 'float32');
        else if (op === 7 && m?.dtype === 'float32' && m.shape.length)
          next = tf.tensor(
            Array.from({ length: m.shape.reduce((a, b) => a * b, 1) }, (_, j) => (j === 0 ? choose(rng, [NaN, Infinity, -Infinity]) : 0)),
            m.shape,
            'float32',
          );
        if (next === old && op !== 8) continue;
        if (old instanceof tf.Tensor) old.dispose();
        if (op === 8) delete dict[key];
        else dict[key] = next;
      }
      // Which keys must the error name? Worked out here independently of checkStateDict.
      const bad: string[] = [];
      for (const [k, m] of Object.entries(before)) {
        if (!(k in dict)) {
          if (strict) bad.push(k);
          continue;
        }
        const v = dict[k];
        if (!(v instanceof tf.Tensor) || v.isDisposed) bad.push(k);
        else if (JSON.stringify(v.shape) !== JSON.stringify(m.shape) || v.dtype !== m.dtype) bad.push(k);
        else if (checkFinite && values(v).some((x) => x === 'NaN' || !Number.isFinite(x as number))) bad.push(k);
      }
      if (strict) for (const k of Object.keys(dict)) if (!(k in before)) bad.push(k);
      const names = bad.length ? bad : [`state-${i}`];
      await runCase('state dict', names, () => {
        try {
          model.loadStateDict(dict as StateDict, { strict, checkFinite });
        } catch (e) {
          const after = keysOf();
          if (JSON.stringify(after) !== JSON.stringify(before)) return 'WRONG: a refused state dict changed the model';
          if (!(e instanceof StateDictError) || !(e instanceof StateDictValueError)) throw new Error(`not a StateDictError: ${String(e)}`);
          if (bad.length === 0) return `WRONG: refused a good state dict: ${e.message}`;
          throw e;
        }
        if (bad.length) return `WRONG: loaded a bad state dict (${bad.join(', ')})`;
        const after = keysOf();
        for (const [k, m] of Object.entries(after)) {
          const given = dict[k];
          const want = given instanceof tf.Tensor ? values(given) : before[k]!.values;
          if (JSON.stringify(m.values) !== JSON.stringify(want)) return `WRONG: ${k} not loaded as given`;
        }
        return 'exact';
      });
      disposeAll(dict);
    }
    model.dispose();

    checkMemory();
    const leaked = tf.memory().numTensors - tensorsAtStart;
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `fuzz(core): ${tally.cases} cases (${Object.entries(perSuite)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}): ` +
        `${tally.errors} clear errors, ${tally.correct} correct results (${tally.exact} checked exactly), ` +
        `${tally.crashes} crashes, ${tally.hangs} hangs, ${tally.unclear.length} unclear errors, ${tally.wrong.length} wrong results; ` +
        `${leaked} tensors leaked; memory growth ${(memPeak / 2 ** 20).toFixed(0)} MB; ${seconds} s`,
    );
    expect(tally.unclear.slice(0, 20).map((u) => (u.length > 300 ? `${u.slice(0, 300)}… (${u.length} chars)` : u).replace(/\n/g, '\\n'))).toEqual([]);
    expect(tally.wrong.slice(0, 20)).toEqual([]);
    expect(tally.crashes).toBe(0);
    expect(tally.hangs).toBe(0);
    expect(leaked).toBe(0);
    expect(tally.cases).toBeGreaterThanOrEqual(6000);
  });
});
