import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, it } from 'vitest';
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
