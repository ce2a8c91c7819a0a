import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { accumulateGrad, zeroGradBuffer } from './gradBuffers';

describe('gradient buffers', () => {
  it('a zeroed buffer takes the gradient itself; any other buffer adds it', () => {
    const buffer = tf.variable(tf.tensor1d([5, 6]));
    const g = tf.tensor1d([1, -2]);
    tf.tidy(() => accumulateGrad(buffer, g));
    expect(Array.from(buffer.dataSync())).toEqual([6, 4]);
    tf.tidy(() => zeroGradBuffer(buffer));
    expect(Array.from(buffer.dataSync())).toEqual([0, 0]);
    tf.tidy(() => accumulateGrad(buffer, g));
    // The gradient's own data, no sum computed.
    expect(buffer.dataId).toBe(g.dataId);
    tf.tidy(() => accumulateGrad(buffer, g));
    expect(Array.from(buffer.dataSync())).toEqual([2, -4]);
    // Zeroed, then overwritten: it adds again.
    tf.tidy(() => zeroGradBuffer(buffer));
    buffer.assign(tf.tensor1d([1, 1]));
    tf.tidy(() => accumulateGrad(buffer, g));
    expect(Array.from(buffer.dataSync())).toEqual([2, -1]);
    g.dispose();
    expect(Array.from(buffer.dataSync())).toEqual([2, -1]);
    buffer.dispose();
  });
});
