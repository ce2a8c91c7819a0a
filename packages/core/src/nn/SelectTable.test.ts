import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { SelectTable } from './SelectTable';
import { Sequential } from './Sequential';
import { expectFlatSteps } from './testing';

describe('SelectTable', () => {
  const a = tf.tensor1d([1, 2]);
  const b = tf.tensor2d([[3, 4, 5]]);
  const c = tf.tensor1d([6]);

  it('selects with 0-based and negative indices, passing the entry through', () => {
    expect(new SelectTable(0).forward([a, b, c])).toBe(a);
    expect(new SelectTable(1).forward([a, b, c])).toBe(b);
    expect(new SelectTable(-1).forward([a, b, c])).toBe(c);
    expect(new SelectTable(-3).forward([a, b, c])).toBe(a);
    const nested = [a, [b, c]];
    expect(new SelectTable(1).forward(nested)).toBe(nested[1]);
  });

  it('gradInput: zeros shaped like the input, gradOutput at the index (as tf.grads)', () => {
    const m = new SelectTable(-2);
    const input = [a, [b, c], c];
    const dy = [tf.ones([1, 3]).mul(7), tf.tensor1d([9])];
    m.forward(input);
    const g = m.backward(input, dy) as [Tensor, Tensor[], Tensor];
    expect(g[1]).toBe(dy);
    expect(g[0].arraySync()).toEqual([0, 0]);
    expect(g[2].arraySync()).toEqual([0]);
    // Against autodiff of <input[1], dy> over every tensor.
    const ref = tf.grads((x0: Tensor, x1: Tensor, x2: Tensor, x3: Tensor) =>
      tf
        .sum(x1.mul(dy[0]))
        .add(tf.sum(x2.mul(dy[1])))
        .add(tf.sum(x0.mul(0)))
        .add(tf.sum(x3.mul(0))),
    )([a, b, c, c]);
    expect(g[1][0].arraySync()).toEqual(ref[1].arraySync());
    expect(g[1][1].arraySync()).toEqual(ref[2].arraySync());
  });

  it('frees only its zeros, never the passed-through tensors, and stays flat', () => {
    const m = new SelectTable(0);
    const dy = tf.tensor1d([1, 1]);
    const before = expectFlatSteps(m, [a, b, c], dy);
    m.clearState();
    expect(tf.memory().numTensors).toBe(before - 2);
    expect([a.isDisposed, b.isDisposed, c.isDisposed, dy.isDisposed]).toEqual([false, false, false, false]);
  });

  it('names its path when the index is missing, and prints Torch 1-based', () => {
    const m = new Sequential(new SelectTable(3));
    expect(() => m.forward([a, b])).toThrow('Sequential.SelectTable(1): expected input a table with an entry at index 3, got {[2], [1,3]}');
    expect(() => new SelectTable(-3).forward([a, b])).toThrow('SelectTable: expected input a table with an entry at index -3');
    expect(() => new SelectTable(0).forward(a)).toThrow('got a tensor [2]');
    expect(new SelectTable(0).toString()).toBe('nn.SelectTable(1)');
    expect(new SelectTable(-1).toString()).toBe('nn.SelectTable(-1)');
  });
});
