import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Linear } from '../nn/Linear';
import { Sequential } from '../nn/Sequential';
import { FastLSTM } from './FastLSTM';
import { GRU } from './GRU';
import { Sequencer } from './Sequencer';
import { lstmCellRef, randomSeq, refLstm, refRnn } from './testUtils';
import { expectClose, expectFlatSteps } from '../nn/testing';

describe('Sequencer', () => {
  it('runs a FastLSTM over a table and a [T,N,F] tensor, with BPTT matching autodiff', () => {
    manualSeed(7);
    const lstm = new FastLSTM(3, 4);
    const seq = new Sequencer(lstm);
    const xs = randomSeq(5, [2, 3], 1);
    const gys = randomSeq(5, [2, 4], 40);
    const ys = seq.forward(xs) as Tensor[];
    seq.zeroGradParameters();
    const gxs = seq.backward(xs, gys) as Tensor[];
    const [ws, gs] = seq.parameters();
    const ref = refLstm(xs, gys, ws);
    ys.forEach((y, t) => expectClose(y, ref.ys[t], { atol: 1e-5 }));
    gxs.forEach((g, t) => expectClose(g, ref.gxs[t], { atol: 1e-5 }));
    gs.forEach((g, i) => expectClose(g, ref.gws[i], { atol: 1e-4 }));

    // the same through a time-major tensor
    const X = tf.stack(xs);
    const Y = seq.forward(X) as Tensor;
    expect(Y.shape).toEqual([5, 2, 4]);
    expectClose(Y, tf.stack(ref.ys), { atol: 1e-5 });
    seq.zeroGradParameters();
    const GX = seq.backward(X, tf.stack(gys)) as Tensor;
    expectClose(GX, tf.stack(ref.gxs), { atol: 1e-5 });
    expectClose(seq.parameters()[1][0], ref.gws[0], { atol: 1e-4 });
    // apply() is a pure unroll with the same numbers, differentiable by tfjs
    expectClose(seq.apply(X) as Tensor, tf.stack(ref.ys), { atol: 1e-5 });
    const gAuto = tf.grads((x: Tensor) => (seq.apply(x) as Tensor).mul(tf.stack(gys)).sum())([X])[0];
    expectClose(gAuto, tf.stack(ref.gxs), { atol: 1e-5 });
  });

  it('wraps a container holding a recurrent module (Sequential(FastLSTM, Linear)) in a Recursor', () => {
    manualSeed(8);
    const lstm = new FastLSTM(3, 4);
    const lin = new Linear(4, 2);
    const seq = new Sequencer(new Sequential(lstm, lin));
    expect(seq.toString()).toBe(
      'nn.Sequencer @ nn.Recursor @ nn.Sequential {\n  [input -> (1) -> (2) -> output]\n  (1): nn.FastLSTM(3 -> 4)\n  (2): nn.Linear(4 -> 2)\n}',
    );
    const xs = randomSeq(4, [2, 3], 3);
    const gys = randomSeq(4, [2, 2], 60);
    const ys = seq.forward(xs) as Tensor[];
    const [ws] = seq.parameters();
    const cell = (x: Tensor, s: Tensor[], w: Tensor[]) => lstmCellRef(x, s, w);
    // reference: unroll LSTM then Linear, autodiff of Σ<y, gy>
    const f = (...a: Tensor[]) => {
      let s = [tf.zeros([2, 4]), tf.zeros([2, 4])];
      const w = a.slice(4);
      return tf.addN(
        a.slice(0, 4).map((x, t) => {
          s = cell(x, s, w.slice(0, 4));
          return s[0].matMul(w[4], false, true).add(w[5]).mul(gys[t]).sum();
        }),
      );
    };
    const g = tf.grads(f)([...xs, ...ws]);
    seq.zeroGradParameters();
    // separate updateGradInput / accGradParameters passes, as rnn allows
    const gxs = seq.updateGradInput(xs, gys) as Tensor[];
    seq.accGradParameters(xs, gys);
    gxs.forEach((gx, t) => expectClose(gx, g[t], { atol: 1e-5 }));
    seq.parameters()[1].forEach((gw, i) => expectClose(gw, g[4 + i], { atol: 1e-4 }));
    expect(ys[0].shape).toEqual([2, 2]);
  });

  it('applies a non-recurrent module to each step', () => {
    manualSeed(9);
    const lin = new Linear(3, 2);
    const seq = new Sequencer(lin);
    expect(seq.toString()).toBe('nn.Sequencer @ nn.Recursor @ nn.Linear(3 -> 2)');
    const xs = randomSeq(3, [4, 3], 5);
    const ys = seq.forward(xs) as Tensor[];
    xs.forEach((x, t) => expectClose(ys[t], lin.apply(x) as Tensor, { atol: 1e-6 }));
    seq.zeroGradParameters();
    const gys = randomSeq(3, [4, 2], 9);
    seq.backward(xs, gys);
    const ref = tf.addN(xs.map((x, t) => tf.matMul(gys[t], x, true, false)));
    expectClose(lin.gradWeight, ref, { atol: 1e-5 });
  });

  it('forgets between sequences unless told to remember', () => {
    manualSeed(10);
    const seq = new Sequencer(new GRU(2, 3));
    const a = randomSeq(3, [1, 2], 1);
    const b = randomSeq(2, [1, 2], 9);
    const yb1 = (seq.forward(b) as Tensor[])[1].clone();
    seq.forward(a);
    const yb2 = (seq.forward(b) as Tensor[])[1].clone();
    expectClose(yb1, yb2, { atol: 0 });
    seq.remember('both').forget();
    seq.forward(a);
    const yb3 = (seq.forward(b) as Tensor[])[1];
    const ref = refRnn((x, s, w) => [gruStep(x, s[0], w)], 1, [...a, ...b], randomSeq(5, [1, 3], 0), seq.parameters()[0]);
    expectClose(yb3, ref.ys[4], { atol: 1e-5 });
    // BPTT after remembering goes through this sequence only
    seq.zeroGradParameters();
    seq.backward(b, randomSeq(2, [1, 3], 3));
  });

  it('keeps the tensor count flat over 100 BPTT steps and training loops', () => {
    manualSeed(11);
    const seq = new Sequencer(new Sequential(new FastLSTM(3, 5), new Linear(5, 3)));
    const X = tf.randomNormal([100, 2, 3]);
    const G = tf.randomNormal([100, 2, 3]);
    const before = expectFlatSteps(seq, X, G, 3);
    seq.evaluate();
    seq.forward(X);
    seq.training();
    // Evaluating in between leaves nothing behind.
    expect(expectFlatSteps(seq, X, G, 1)).toBe(before);
  });

  it('clones after a forward inside tf.tidy, whose step records the tidy freed', () => {
    manualSeed(12);
    const seq = new Sequencer(new FastLSTM(3, 4)).evaluate();
    const X = tf.randomNormal([5, 2, 3]);
    const y = tf.tidy(() => (seq.forward(X) as Tensor).clone());
    const copy = seq.clone();
    expectClose(copy.forward(X) as Tensor, y, { atol: 0 });
    copy.dispose();
  });
});

function gruStep(x: Tensor, h: Tensor, w: Tensor[]): Tensor {
  const gi = x.matMul(w[0], false, true).add(w[2]);
  const gh = h.matMul(w[1], false, true).add(w[3]);
  const H = h.shape[1]!;
  const p = (t: Tensor, k: number) => t.slice([0, k * H], [-1, H]);
  const r = p(gi, 0).add(p(gh, 0)).sigmoid();
  const z = p(gi, 1).add(p(gh, 1)).sigmoid();
  const n = p(gi, 2)
    .add(r.mul(p(gh, 2)))
    .tanh();
  return tf.scalar(1).sub(z).mul(n).add(z.mul(h));
}
