import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Linear } from '../nn/Linear';
import { ReLU } from '../nn/ReLU';
import { Sequential } from '../nn/Sequential';
import { Recurrent } from './Recurrent';
import { Sequencer } from './Sequencer';
import { randomSeq } from './testUtils';
import { expectClose } from '../nn/testing';

describe('Recurrent', () => {
  it('h0 = transfer(start(input(x0))), ht = transfer(input(xt) + feedback(ht-1)), BPTT by autodiff', () => {
    manualSeed(17);
    const inp = new Linear(3, 4);
    const fb = new Sequential(new Linear(4, 4), new ReLU());
    const rnn = new Recurrent(4, inp, fb, undefined, 5);
    expect(Object.keys(rnn.stateDict())).toEqual(['0.bias', '1.weight', '1.bias', '2.0.weight', '2.0.bias']);
    const seq = new Sequencer(rnn);
    const xs = randomSeq(4, [2, 3], 1);
    const gys = randomSeq(4, [2, 4], 11);
    const ys = seq.forward(xs) as Tensor[];
    seq.zeroGradParameters();
    const gxs = seq.backward(xs, gys) as Tensor[];
    const [ws, gs] = seq.parameters();
    const f = (...a: Tensor[]) => {
      const [b0, wi, bi, wf, bf] = a.slice(4);
      let h: Tensor | null = null;
      const outs = a.slice(0, 4).map((x) => {
        const u = x.matMul(wi, false, true).add(bi);
        h = h === null ? u.add(b0).sigmoid() : u.add(tf.relu(h.matMul(wf, false, true).add(bf))).sigmoid();
        return h;
      });
      return { outs, loss: tf.addN(outs.map((o, t) => o.mul(gys[t]).sum())) };
    };
    const ref = f(...xs, ...ws).outs;
    ys.forEach((y, t) => expectClose(y, ref[t], { atol: 1e-6 }));
    const g = tf.grads((...a: Tensor[]) => f(...a).loss)([...xs, ...ws]);
    gxs.forEach((gx, t) => expectClose(gx, g[t], { atol: 1e-5 }));
    gs.forEach((gw, i) => expectClose(gw, g[4 + i], { atol: 1e-5 }));
  });

  it('prints as rnn does', () => {
    const r = new Recurrent(2, new Linear(3, 2), new Linear(2, 2), new ReLU());
    expect(r.toString()).toBe(
      [
        'nn.Recurrent {',
        '  [{input(t), output(t-1)} -> (1) -> (2) -> (3) -> output(t)]',
        '  (1):  {',
        '    input(t)',
        '      |`-> (t==0): nn.Add',
        '      |`-> (t~=0): nn.Linear(3 -> 2)',
        '    output(t-1)',
        '      |`-> nn.Linear(2 -> 2)',
        '  }',
        '  (2): nn.CAddTable',
        '  (3): nn.ReLU',
        '}',
      ].join('\n'),
    );
  });
});
