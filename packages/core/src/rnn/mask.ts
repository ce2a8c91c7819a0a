/** `maskZero()`'s helpers: which rows of a step's input are all zeros. */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';

/** 1 where the input row is not all zeros: [N] for a batch, [] for a single sample. */
export function zeroMask(input: Activity, nInputDim: number): Tensor {
  let x = input;
  while (!isTensor(x)) x = x[0];
  const batched = x.rank > nInputDim;
  const flat = batched ? x.reshape([x.shape[0], -1]) : x.reshape([1, -1]);
  const m = tf.notEqual(tf.max(tf.abs(flat.cast('float32')), 1), 0).cast('float32');
  return batched ? m : m.reshape([]);
}

/** The shape that broadcasts a [N] (or scalar) mask over `t`. */
export function maskShape(mask: Tensor, t: Tensor): number[] {
  if (mask.rank === 0) return [];
  const s = new Array(t.rank).fill(1);
  s[0] = mask.shape[0];
  return s;
}
