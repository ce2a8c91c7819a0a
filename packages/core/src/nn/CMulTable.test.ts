import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { CMulTable } from './CMulTable';

describe('CMulTable', () => {
  it('multiplies a table elementwise; gradInput[i] = gradOutput * the others, zeros included', () => {
    const a = tf.tensor1d([1, 2, 0]);
    const b = tf.tensor1d([3, 0, 5]);
    const c = tf.tensor1d([2, 2, 2]);
    const m = new CMulTable();
    expect((m.forward([a, b, c]) as Tensor).arraySync()).toEqual([6, 0, 0]);
    const dy = tf.tensor1d([1, 10, 100]);
    const g = m.backward([a, b, c], dy) as Tensor[];
    // By hand: dy*b*c, dy*a*c, dy*a*b
    expect(g[0].arraySync()).toEqual([6, 0, 1000]);
    expect(g[1].arraySync()).toEqual([2, 40, 0]);
    expect(g[2].arraySync()).toEqual([3, 0, 0]);
    expect(() => m.forward([a, tf.ones([2])])).toThrow('CMulTable: expected input a table of tensors of one shape');
    expect(m.toString()).toBe('nn.CMulTable');
  });
});
