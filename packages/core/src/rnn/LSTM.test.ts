import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { LSTM } from './LSTM';
import { peepholeCellRef, randomSeq, refLstm, refRnn, runBptt } from './testUtils';
import { expectClose } from '../nn/testing';

describe('LSTM', () => {
  it("with peepholes (default) matches an autodiff reference of Torch rnn's maths", () => {
    manualSeed(2);
    const m = new LSTM(3, 5);
    expect(m.parameters()[0].length).toBe(6);
    const xs = randomSeq(6, [2, 3], 1);
    const gys = randomSeq(6, [2, 5], 50);
    const { ys, gxs } = runBptt(m, xs, gys);
    const [ws, gs] = m.parameters();
    const ref = refRnn(peepholeCellRef, 2, xs, gys, ws);
    ys.forEach((y, t) => expectClose(y, ref.ys[t], { atol: 1e-5 }));
    gxs.forEach((g, t) => expectClose(g, ref.gxs[t], { atol: 1e-5 }));
    gs.forEach((g, i) => expectClose(g, ref.gws[i], { atol: 1e-4 }));
  });

  it('without peepholes is an LSTM with one bias', () => {
    manualSeed(3);
    const m = new LSTM(3, 4, { peephole: false });
    expect(Object.keys(m.stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0']);
    const xs = randomSeq(4, [2, 3], 7);
    const gys = randomSeq(4, [2, 4], 70);
    const { ys, gxs } = runBptt(m, xs, gys);
    const [ws, gs] = m.parameters();
    const ref = refLstm(xs, gys, ws);
    ys.forEach((y, t) => expectClose(y, ref.ys[t], { atol: 1e-5 }));
    gxs.forEach((g, t) => expectClose(g, ref.gxs[t], { atol: 1e-5 }));
    gs.forEach((g, i) => expectClose(g, ref.gws[i], { atol: 1e-4 }));
  });

  it("takes Torch's positional arguments and prints as rnn does", () => {
    const m = new LSTM(3, 4, 10, false);
    expect(m.peephole).toBe(false);
    expect(m.rho).toBe(10);
    expect(m.toString()).toBe('nn.LSTM(3 -> 4)');
    expect(new LSTM(7).outputSize).toBe(7);
  });

  it('accepts unbatched [I] inputs', () => {
    manualSeed(4);
    const m = new LSTM(3, 2);
    const x = tf.randomNormal([3]);
    const y1 = m.forward(x) as tf.Tensor;
    expect(y1.shape).toEqual([2]);
    const g = m.backward(x, tf.ones([2])) as tf.Tensor;
    expect(g.shape).toEqual([3]);
  });
});
