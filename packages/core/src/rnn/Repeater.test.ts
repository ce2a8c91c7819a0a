import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { GRU } from './GRU';
import { Repeater } from './Repeater';
import { gruCellRef, maxDiff, randomSeq, refRnn } from './testUtils';

describe('Repeater', () => {
  it('feeds the same input nStep times and sums the gradInputs', () => {
    manualSeed(18);
    const rep = new Repeater(new GRU(3, 2), 4);
    expect(rep.toString()).toBe('nn.Repeater @ nn.GRU(3 -> 2)');
    const x = tf.randomNormal([2, 3]);
    const gys = randomSeq(4, [2, 2], 5);
    const ys = rep.forward(x) as Tensor[];
    rep.zeroGradParameters();
    const gx = rep.backward(x, gys) as Tensor;
    const ref = refRnn(gruCellRef, 1, [x, x, x, x], gys, rep.parameters()[0]);
    ys.forEach((y, t) => expect(maxDiff(y, ref.ys[t])).toBeLessThan(1e-5));
    expect(maxDiff(gx, ref.gxs[0])).toBeLessThan(1e-5); // the same tensor at every step: its total gradient
    rep.parameters()[1].forEach((g, i) => expect(maxDiff(g, ref.gws[i])).toBeLessThan(1e-4));
  });
});
