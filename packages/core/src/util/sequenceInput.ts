import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { ModuleError, ShapeError } from './errors';

/**
 * A [T, N, C] (or batch-first [N, T, C]) tensor of per-step scores read to
 * the CPU, with each sample's input length: what CTC's loss and decoders
 * work on.
 */
export interface SequenceScores {
  T: number;
  N: number;
  C: number;
  /** The tensor's values in its own layout (a copy). */
  data: Float32Array;
  /** Steps of each sample, each in [0, T]. */
  lengths: number[];
  /** Offset in `data` of step t of sample n (C values follow). */
  offset(t: number, n: number): number;
}

/**
 * Checks and reads `x`; errors name `who`. `inputLengths` defaults to T for
 * every sample and must hold N integers in [0, T].
 */
export function readSequenceScores(who: string, x: unknown, batchFirst: boolean, inputLengths?: ArrayLike<number>): SequenceScores {
  const layout = batchFirst ? '[N,T,C]' : '[T,N,C]';
  if (!(x instanceof tf.Tensor)) throw new ShapeError(who, `${layout} log-probabilities`, Array.isArray(x) ? 'a table' : typeof x);
  const t = x as Tensor;
  if (t.rank !== 3) throw new ShapeError(who, `${layout} log-probabilities`, `[${t.shape.join(',')}]`);
  const [a, b, C] = t.shape as [number, number, number];
  const [T, N] = batchFirst ? [b, a] : [a, b];
  let lengths: number[];
  if (inputLengths === undefined) lengths = new Array<number>(N).fill(T);
  else {
    lengths = Array.from(inputLengths);
    if (lengths.length !== N) throw new ModuleError(who, `expected ${N} input lengths (the batch size), got ${lengths.length}`);
    lengths.forEach((v, n) => {
      if (!Number.isInteger(v) || v < 0 || v > T) throw new ModuleError(who, `input length ${v} of sample ${n} is outside [0, ${T}] (T = ${T})`);
    });
  }
  const data = Float32Array.from(t.dataSync() as ArrayLike<number>);
  const offset = batchFirst ? (s: number, n: number) => (n * T + s) * C : (s: number, n: number) => (s * N + n) * C;
  return { T, N, C, data, lengths, offset };
}

/** log(exp(a) + exp(b)) without overflow; exact for −∞ arguments. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
