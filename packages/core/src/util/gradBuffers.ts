import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';

/**
 * The data each gradient buffer was zeroed to. tfjs data is immutable and
 * every `assign` replaces a variable's data, so a buffer that still holds
 * the data it was zeroed to holds zeros, whatever has run since.
 */
const zeroedTo = new WeakMap<Variable, object>();

/** Torch's `gradWeight:zero()` for one buffer. Call inside `tf.tidy`. */
export function zeroGradBuffer(buffer: Variable): void {
  buffer.assign(tf.zerosLike(buffer));
  zeroedTo.set(buffer, buffer.dataId);
}

/**
 * `buffer += scale·g`, every module's and step's gradient accumulation. A
 * buffer that still holds its zeros takes the scaled gradient itself (the sum
 * would be it, but for the sign of a zero), which saves a step one pass over
 * every parameter. Call inside `tf.tidy`.
 */
export function accumulateGrad(buffer: Variable, g: Tensor, scale = 1): void {
  const scaled = scale === 1 ? g : g.mul(scale);
  buffer.assign(zeroedTo.get(buffer) === buffer.dataId ? scaled : buffer.add(scaled));
}
