import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { JoinTable } from './JoinTable';
import { Sequential } from './Sequential';
import { expectFlatSteps } from './testing';

describe('JoinTable', () => {
  const a = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const b = tf.tensor2d([[5], [6]]);

  it('joins along a 0-based dimension and splits gradOutput back (as tf.grads)', () => {
    const m = new JoinTable(1);
    const y = m.forward([a, b]) as Tensor;
    expect(y.arraySync()).toEqual([
      [1, 2, 5],
      [3, 4, 6],
    ]);
    const dy = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const g = m.backward([a, b], dy) as Tensor[];
    const ref = tf.grads((x: Tensor, z: Tensor) => tf.sum(tf.concat([x, z], 1).mul(dy)))([a, b]);
    expect(g[0].arraySync()).toEqual(ref[0].arraySync());
    expect(g[1].arraySync()).toEqual(ref[1].arraySync());
    expect(g[1].arraySync()).toEqual([[3], [6]]);
  });

  it('shifts a non-negative dimension for a batch of nInputDims + 1 dims; negative counts from the end', () => {
    const x = tf.ones([2, 3]);
    const z = tf.ones([2, 4]);
    expect((new JoinTable(0, 1).forward([x, z]) as Tensor).shape).toEqual([2, 7]);
    expect((new JoinTable(0, 1).forward([tf.ones([3]), tf.ones([4])]) as Tensor).shape).toEqual([7]);
    expect((new JoinTable(-1, 1).forward([x, z]) as Tensor).shape).toEqual([2, 7]);
    expect((new JoinTable(-2).forward([x, x]) as Tensor).shape).toEqual([4, 3]);
  });

  it('names its path for mismatched shapes and prints as Torch', () => {
    expect(() => new Sequential(new JoinTable(0)).forward([a, b])).toThrow(
      'Sequential.JoinTable(1): expected input a table of tensors that agree except along dimension 0, got {[2,2], [2,1]}',
    );
    expect(new JoinTable(1).toString()).toBe('nn.JoinTable');
  });

  it('stays flat over repeated forward/backward', () => {
    const m = new JoinTable(0);
    const dy = tf.ones([4, 2]);
    expectFlatSteps(m, [a, a], dy, 3);
  });
});
