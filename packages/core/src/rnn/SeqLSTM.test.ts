import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { FastLSTM } from './FastLSTM';
import { SeqLSTM } from './SeqLSTM';
import { Sequencer } from './Sequencer';
import { randomSeq, refLstm } from './testUtils';
import { expectClose, expectFlatSteps, maxAbsDiff } from '../nn/testing';

describe('SeqLSTM', () => {
  it('matches an autodiff reference (outputs, gradInput, weight grads, initial-state grads)', () => {
    manualSeed(12);
    const m = new SeqLSTM(3, 4);
    m.parameters()[0][3].assign(tf.randomNormal([16], 0, 0.2, 'float32', 3));
    const xs = randomSeq(6, [2, 3], 1);
    const gys = randomSeq(6, [2, 4], 20);
    const h0 = [tf.randomNormal([2, 4], 0, 1, 'float32', 7), tf.randomNormal([2, 4], 0, 1, 'float32', 8)];
    m.setHiddenState(-1, h0);
    const y = m.forward(tf.stack(xs)) as Tensor;
    m.zeroGradParameters();
    const gx = m.backward(tf.stack(xs), tf.stack(gys)) as Tensor;
    const [ws, gs] = m.parameters();
    const ref = refLstm(xs, gys, ws, h0);
    expectClose(y, tf.stack(ref.ys), { atol: 1e-5 });
    expectClose(gx, tf.stack(ref.gxs), { atol: 1e-5 });
    gs.forEach((g, i) => expectClose(g, ref.gws[i], { atol: 1e-4 }));
    const gh = m.getGradHiddenState()!;
    expectClose(gh[0], ref.gh0[0], { atol: 1e-5 });
    expectClose(gh[1], ref.gh0[1], { atol: 1e-5 });
    expectClose(m.apply(tf.stack(xs)) as Tensor, y, { atol: 1e-6 });
  });

  it('agrees with Sequencer(FastLSTM) given the same weights, batch-first too', () => {
    manualSeed(13);
    const s = new SeqLSTM(3, 5, { batchFirst: true });
    const f = new FastLSTM(3, 5);
    f.loadStateDict(s.stateDict());
    const x = tf.randomNormal([2, 7, 3]);
    const y = s.forward(x) as Tensor;
    expect(y.shape).toEqual([2, 7, 5]);
    const yf = new Sequencer(f).forward(tf.transpose(x, [1, 0, 2])) as Tensor;
    expectClose(y, tf.transpose(yf, [1, 0, 2]), { atol: 1e-5 });
    expect(s.toString()).toBe('nn.SeqLSTM(3 -> 5)');
  });

  it('initialises as Torch: forget-gate bias 1', () => {
    const s = new SeqLSTM(2, 3);
    expect(Array.from(s.stateDict().bias_ih_l0.dataSync())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('remembers its state between forwards when asked', () => {
    manualSeed(14);
    const s = new SeqLSTM(2, 3).remember();
    const x = tf.randomNormal([4, 1, 2]);
    const a = (s.forward(x.slice([0, 0, 0], [2, 1, 2])) as Tensor).clone();
    const b = (s.forward(x.slice([2, 0, 0], [2, 1, 2])) as Tensor).clone();
    s.forget();
    const all = s.forward(x) as Tensor;
    expectClose(tf.concat([a, b], 0), all, { atol: 1e-6 });
  });

  it('keeps the tensor count flat over training steps', () => {
    const s = new SeqLSTM(3, 4);
    const x = tf.randomNormal([100, 2, 3]);
    const g = tf.randomNormal([100, 2, 4]);
    expectFlatSteps(s, x, g, 2);
  });

  it('forward after a weight update uses the new weights (its cached transposes follow them), with a flat tensor count', () => {
    manualSeed(3);
    const s = new SeqLSTM(5, 4).evaluate();
    const x = tf.randomNormal([6, 2, 5]);
    // forward(): cached [in, 4H] weights; apply(): the graph path, transposing inside it.
    const gap = () => {
      const y = s.forward(x) as Tensor;
      return tf.tidy(() => maxAbsDiff(y, s.apply(x) as Tensor));
    };
    expect(gap()).toBeLessThan(1e-6);
    const old = (s.forward(x) as Tensor).clone();
    const w = s.parameters()[0][0];
    w.assign(tf.randomNormal(w.shape));
    expect(gap()).toBeLessThan(1e-6);
    expect(maxAbsDiff(s.forward(x) as Tensor, old)).toBeGreaterThan(1e-3);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) s.forward(x);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, old]);
  });
});
