import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { GRU } from './GRU';
import { Repeater } from './Repeater';
import { gruCellRef, randomSeq, refRnn } from './testUtils';
import { expectClose } from '../nn/testing';

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
    ys.forEach((y, t) => expectClose(y, ref.ys[t], { atol: 1e-5 }));
    expectClose(gx, ref.gxs[0], { atol: 1e-5 }); // the same tensor at every step: its total gradient
    rep.parameters()[1].forEach((g, i) => expectClose(g, ref.gws[i], { atol: 1e-4 }));
  });
});
