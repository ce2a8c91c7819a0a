import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Concat } from './Concat';
import { Identity } from './Identity';
import { Linear } from './Linear';
import { ParallelTable } from './ParallelTable';
import { ReLU } from './ReLU';
import { Sequential } from './Sequential';
import { expectClose } from './testing';

const lin = (x: Tensor, w: Tensor, b: Tensor) => x.matMul(w, false, true).add(b);

describe('ParallelTable', () => {
  it('applies child i to input[i] and matches tf.grads', () => {
    manualSeed(5);
    const m = new ParallelTable(new Linear(4, 3), new Sequential(new Linear(2, 2), new ReLU()));
    const a = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const b = tf.randomNormal([5, 2], 0, 1, 'float32', 2);
    const dys = [tf.randomNormal([5, 3], 0, 1, 'float32', 3), tf.randomNormal([5, 2], 0, 1, 'float32', 4)];
    const [ws] = m.parameters();
    const f = (aa: Tensor, bb: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => [lin(aa, w1, b1), tf.relu(lin(bb, w2, b2))];
    const out = m.forward([a, b]) as Tensor[];
    const ref = f(a, b, ...(ws as Tensor[] as [Tensor, Tensor, Tensor, Tensor]));
    out.forEach((o, i) => expectClose(o, ref[i], { atol: 1e-6 }));

    const grads = tf.grads((aa: Tensor, bb: Tensor, ...p: Tensor[]) => {
      const outs = f(aa, bb, ...(p as [Tensor, Tensor, Tensor, Tensor]));
      return tf.addN(outs.map((o, i) => tf.sum(o.mul(dys[i]))));
    })([a, b, ...ws]);
    m.zeroGradParameters();
    const g = m.backward([a, b], dys) as Tensor[];
    expectClose(g[0], grads[0], { atol: 1e-5 });
    expectClose(g[1], grads[1], { atol: 1e-5 });
    m.parameters()[1].forEach((gw, i) => expectClose(gw, grads[i + 2], { atol: 1e-5 }));

    m.zeroGradParameters();
    const g2 = m.updateGradInput([a, b], dys) as Tensor[];
    m.accGradParameters([a, b], dys);
    expectClose(g2[1], grads[1], { atol: 1e-5 });
    m.parameters()[1].forEach((gw, i) => expectClose(gw, grads[i + 2], { atol: 1e-5 }));

    const applied = m.apply([a, b]) as Tensor[];
    applied.forEach((o, i) => expectClose(o, ref[i], { atol: 1e-6 }));
  });

  it('rejects an input with fewer entries than children, naming its path', () => {
    const m = new Sequential(new ParallelTable(new Identity(), new Identity()));
    expect(() => m.forward([tf.ones([2])])).toThrow('Sequential.ParallelTable(1): expected input a table of 2 entries, got {[2]}');
    expect(() => m.forward(tf.ones([2]))).toThrow('Sequential.ParallelTable(1): expected input a table of 2 entries, got a tensor [2]');
  });

  it('prints as Torch7: every branch, the last too, drawn with |`->', () => {
    const m = new ParallelTable(new Linear(4, 3), new Concat(1, new Identity(), new ReLU()));
    expect(m.toString()).toBe(
      [
        'nn.ParallelTable {',
        '  input',
        '    |`-> (1): nn.Linear(4 -> 3)',
        '    |`-> (2): nn.Concat {',
        '    |      input',
        '    |        |`-> (1): nn.Identity',
        '    |         `-> (2): nn.ReLU',
        '    |         ... -> output',
        '    |    }',
        '     ... -> output',
        '}',
      ].join('\n'),
    );
  });
});
