import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { FastLSTM } from './FastLSTM';
import { refLstm } from './testUtils';
import { expectClose } from '../nn/testing';

describe('FastLSTM', () => {
  it('matches an autodiff reference over 5 steps (outputs, gradInputs, weight grads)', () => {
    manualSeed(1);
    const m = new FastLSTM(3, 4);
    m.parameters()[0][3].assign(tf.randomNormal([16], 0, 0.1, 'float32', 9));
    const T = 5;
    const xs = Array.from({ length: T }, (_, t) => tf.randomNormal([2, 3], 0, 1, 'float32', 10 + t));
    const gys = Array.from({ length: T }, (_, t) => tf.randomNormal([2, 4], 0, 1, 'float32', 30 + t));
    const ys = xs.map((x) => (m.forward(x) as Tensor).clone());
    m.zeroGradParameters();
    const gxs: Tensor[] = [];
    for (let t = T - 1; t >= 0; t--) gxs[t] = (m.backward(xs[t], gys[t]) as Tensor).clone();
    const [ws, gs] = m.parameters();
    const ref = refLstm(xs, gys, ws);
    ys.forEach((y, t) => expectClose(y, ref.ys[t], { atol: 1e-5 }));
    gxs.forEach((g, t) => expectClose(g, ref.gxs[t], { atol: 1e-5 }));
    gs.forEach((g, i) => expectClose(g, ref.gws[i], { atol: 1e-4 }));
  });
});

describe('FastLSTM.stepFrom', () => {
  it('steps from a given state as forward does from that initial state, leaves the history alone, and differentiates under a tape', () => {
    manualSeed(2);
    const m = new FastLSTM(3, 4);
    const T = 3;
    const xs = Array.from({ length: T }, (_, t) => tf.randomNormal([2, 3], 0, 1, 'float32', 40 + t));
    const gys = Array.from({ length: T }, (_, t) => tf.randomNormal([2, 4], 0, 1, 'float32', 50 + t));
    const s0 = [tf.randomNormal([2, 4], 0, 1, 'float32', 60), tf.randomNormal([2, 4], 0, 1, 'float32', 61)];
    m.setHiddenState(-1, s0);
    const ys = xs.map((x) => (m.forward(x) as Tensor).clone());
    m.zeroGradParameters();
    for (let t = T - 1; t >= 0; t--) m.backward(xs[t], gys[t]);
    const [ws, gs] = m.parameters();
    m.forget();
    // the same steps, carrying the state by hand
    const run = () => {
      let s = s0;
      return xs.map((x) => {
        const r = m.stepFrom(x, s);
        s = r.state;
        return r.output as Tensor;
      });
    };
    const mine = tf.tidy(() => run().map((y) => y.clone()));
    mine.forEach((y, t) => expectClose(y, ys[t], { atol: 1e-6, what: `output ${t}` }));
    expect(m.step).toBe(0);
    const g = tf.grads((...w: Tensor[]) => tf.addN(run().map((y, t) => y.mul(gys[t]).sum())))(ws);
    g.forEach((gw, i) => expectClose(gw, gs[i], { atol: 1e-5, what: `parameter ${i}` }));
    // null: the zero state
    const z = tf.tidy(() => m.stepFrom(xs[0], null).output as Tensor);
    m.setHiddenState(-1, null);
    m.forget();
    expectClose(z, m.forward(xs[0]) as Tensor, { atol: 1e-6 });
    tf.dispose([...xs, ...gys, ...s0, ...ys, ...mine, ...g, z]);
    m.dispose();
  });
});
