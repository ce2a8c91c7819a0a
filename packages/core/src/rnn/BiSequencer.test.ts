import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { BiSequencer } from './BiSequencer';
import { FastLSTM } from './FastLSTM';
import { GRU } from './GRU';
import { randomSeq, refLstm } from './testUtils';
import { expectClose } from '../nn/testing';

describe('BiSequencer', () => {
  it('concatenates a forward and a reversed LSTM, with BPTT through both', () => {
    manualSeed(15);
    const bi = new BiSequencer(new FastLSTM(3, 4));
    const xs = randomSeq(5, [2, 3], 1);
    const gys = randomSeq(5, [2, 8], 30);
    const ys = (bi.forward(xs) as Tensor[]).map((y) => y.clone());
    expect(ys[0].shape).toEqual([2, 8]);
    bi.zeroGradParameters();
    const gxs = bi.backward(xs, gys) as Tensor[];
    const [ws, gs] = bi.parameters();
    const gF = gys.map((g) => g.slice([0, 0], [-1, 4]));
    const gB = gys.map((g) => g.slice([0, 4], [-1, 4]));
    const rf = refLstm(xs, gF, ws.slice(0, 4));
    const rb = refLstm(xs.slice().reverse(), gB.slice().reverse(), ws.slice(4, 8));
    ys.forEach((y, t) => expectClose(y, tf.concat([rf.ys[t], rb.ys[4 - t]], 1), { atol: 1e-5 }));
    gxs.forEach((g, t) => expectClose(g, rf.gxs[t].add(rb.gxs[4 - t]), { atol: 1e-5 }));
    gs.slice(0, 4).forEach((g, i) => expectClose(g, rf.gws[i], { atol: 1e-4 }));
    gs.slice(4, 8).forEach((g, i) => expectClose(g, rb.gws[i], { atol: 1e-4 }));
    // the same through a [T,N,F] tensor
    const Y = bi.forward(tf.stack(xs)) as Tensor;
    expectClose(Y, tf.stack(ys), { atol: 1e-6 });
  });

  it('uses PyTorch bidirectional state-dict keys and loads them back', () => {
    manualSeed(16);
    const bi = new BiSequencer(new GRU(3, 2));
    const sd = bi.stateDict();
    expect(Object.keys(sd)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'bias_ih_l0_reverse',
      'bias_hh_l0_reverse',
    ]);
    const other = new BiSequencer(new GRU(3, 2));
    other.loadStateDict(sd);
    const x = tf.randomNormal([4, 2, 3]);
    expectClose(other.forward(x) as Tensor, bi.forward(x) as Tensor, { atol: 0 });
    expect(() => other.loadStateDict({ weight_ih_l0: sd.weight_ih_l0 })).toThrow(/missing keys/);
  });
});
