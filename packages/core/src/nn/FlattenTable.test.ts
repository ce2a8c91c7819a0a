import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { FlattenTable } from './FlattenTable';

describe('FlattenTable', () => {
  it('flattens depth first and rebuilds the nesting for gradInput', () => {
    const [a, b, c, d] = [tf.scalar(1), tf.tensor1d([2]), tf.tensor1d([3, 3]), tf.tensor1d([4])];
    const input = [a, [b, [c]], [], d];
    const m = new FlattenTable();
    const out = m.forward(input) as Tensor[];
    expect(out.length).toBe(4);
    [a, b, c, d].forEach((t, i) => expect(out[i]).toBe(t));
    const dy = [tf.scalar(5), tf.tensor1d([6]), tf.tensor1d([7, 8]), tf.tensor1d([9])];
    const g = m.backward(input, dy) as [Tensor, [Tensor, [Tensor]], [], Tensor];
    expect(g[0]).toBe(dy[0]);
    expect(g[1][0]).toBe(dy[1]);
    expect(g[1][1][0]).toBe(dy[2]);
    expect(g[2]).toEqual([]);
    expect(g[3]).toBe(dy[3]);
    m.clearState();
    expect([a, b, c, d, ...dy].every((t) => !t.isDisposed)).toBe(true);
    expect(() => m.backward(input, dy.slice(1))).toThrow('FlattenTable: expected gradOutput a flat table of 4 tensors');
    expect(() => m.forward(a)).toThrow('FlattenTable: expected input a table, got a tensor []');
  });
});
