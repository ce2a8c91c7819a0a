import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { GRU } from './GRU';
import { gruCellRef, randomSeq, refRnn, runBptt } from './testUtils';
import { expectClose } from '../nn/testing';

describe('GRU', () => {
  it("matches an autodiff reference of PyTorch's GRU maths over 7 steps", () => {
    manualSeed(5);
    const m = new GRU(4, 3);
    m.parameters()[0][3].assign(tf.randomNormal([9], 0, 0.3, 'float32', 1));
    const xs = randomSeq(7, [3, 4], 11);
    const gys = randomSeq(7, [3, 3], 90);
    const { ys, gxs } = runBptt(m, xs, gys);
    const [ws, gs] = m.parameters();
    const ref = refRnn(gruCellRef, 1, xs, gys, ws);
    ys.forEach((y, t) => expectClose(y, ref.ys[t], { atol: 1e-5 }));
    gxs.forEach((g, t) => expectClose(g, ref.gxs[t], { atol: 1e-5 }));
    gs.forEach((g, i) => expectClose(g, ref.gws[i], { atol: 1e-4 }));
  });

  it("has PyTorch's state-dict keys and shapes and prints as rnn does", () => {
    const m = new GRU(4, 3);
    const sd = m.stateDict();
    expect(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape]))).toEqual({
      weight_ih_l0: [9, 4],
      weight_hh_l0: [9, 3],
      bias_ih_l0: [9],
      bias_hh_l0: [9],
    });
    expect(m.toString()).toBe('nn.GRU(4 -> 3)');
  });

  it('starts from a given state and returns the gradient w.r.t. it', () => {
    manualSeed(6);
    const m = new GRU(2, 3);
    const h0 = tf.randomNormal([2, 3], 0, 1, 'float32', 4);
    m.setHiddenState(-1, h0);
    const xs = randomSeq(3, [2, 2], 21);
    const gys = randomSeq(3, [2, 3], 31);
    const { ys } = runBptt(m, xs, gys);
    const ref = refRnn(gruCellRef, 1, xs, gys, m.parameters()[0], [h0]);
    expectClose(ys[2], ref.ys[2], { atol: 1e-5 });
    expectClose(m.getGradHiddenState() as Tensor, ref.gh0[0], { atol: 1e-5 });
  });
});
