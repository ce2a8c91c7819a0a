import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Concat } from './Concat';
import { Identity } from './Identity';
import { Linear } from './Linear';
import { ReLU } from './ReLU';
import { Sequential } from './Sequential';
import { expectClose, expectFlatSteps } from './testing';

const lin = (x: Tensor, w: Tensor, b: Tensor) => x.matMul(w, false, true).add(b);

describe('Concat', () => {
  it('concatenates the children along a 0-based dimension and matches tf.grads', () => {
    manualSeed(3);
    const m = new Concat(1, new Linear(4, 3), new Sequential(new Linear(4, 2), new ReLU()), new Identity());
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const dy = tf.randomNormal([5, 9], 0, 1, 'float32', 2);
    const [ws] = m.parameters();
    const f = (xx: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => tf.concat([lin(xx, w1, b1), tf.relu(lin(xx, w2, b2)), xx], 1);
    const y = m.forward(x) as Tensor;
    expectClose(y, f(x, ...(ws as Tensor[] as [Tensor, Tensor, Tensor, Tensor])), { atol: 1e-6 });

    const ref = tf.grads((xx: Tensor, ...p: Tensor[]) => f(xx, ...(p as [Tensor, Tensor, Tensor, Tensor])))([x, ...ws], dy);
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    expectClose(gx, ref[0], { atol: 1e-5 });
    m.parameters()[1].forEach((g, i) => expectClose(g, ref[i + 1], { atol: 1e-5 }));

    m.zeroGradParameters();
    const gx2 = m.updateGradInput(x, dy) as Tensor;
    m.accGradParameters(x, dy, 2);
    expectClose(gx2, ref[0], { atol: 1e-5 });
    m.parameters()[1].forEach((g, i) => expectClose(g, ref[i + 1].mul(2), { atol: 1e-5 }));
    // Identity's gradInput is its slice of gradOutput, still alive after the backward.
    expectClose(m.get(2).gradInput as Tensor, dy.slice([0, 5], [5, 4]), { atol: 0 });

    const viaApply = tf.grads((xx: Tensor) => m.apply(xx) as Tensor)([x], dy)[0];
    expectClose(viaApply, ref[0], { atol: 1e-5 });
  });

  it('accepts a negative dimension, counted from the end', () => {
    const m = new Concat(-1, new Identity(), new Identity());
    const x = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]);
    const y = m.forward(x) as Tensor;
    expect(y.shape).toEqual([1, 2, 4]);
    expect(y.arraySync()).toEqual([
      [
        [1, 2, 1, 2],
        [3, 4, 3, 4],
      ],
    ]);
    const m0 = new Concat(0, new Identity(), new Identity());
    expect((m0.forward(x) as Tensor).shape).toEqual([2, 2, 2]);
    const g = m.backward(x, tf.tensor3d([1, 2, 10, 20, 3, 4, 30, 40], [1, 2, 4])) as Tensor;
    expect(g.arraySync()).toEqual([
      [
        [11, 22],
        [33, 44],
      ],
    ]);
  });

  it('names the module when outputs cannot be concatenated', () => {
    const m = new Sequential(new Concat(1, new Linear(4, 2), new Sequential(new Identity())));
    expect(() => m.forward(tf.ones([3, 4]).reshape([2, 6]))).toThrow('Sequential.Concat(1).Linear(1): expected input [N,4]');
    const bad = new Sequential(new ReLU(), new Concat(0, new Linear(4, 2), new Identity()));
    expect(() => bad.forward(tf.ones([3, 4]))).toThrow('Sequential.Concat(2): cannot concatenate outputs [3,2] and [3,4] along dimension 0');
    expect(() => new Concat(2, new Identity()).forward(tf.ones([3, 4]))).toThrow('Concat: dimension 2 is out of range for outputs of rank 2');
  });

  it('prints as Torch7', () => {
    const m = new Concat(1, new Linear(4, 3), new Sequential(new Linear(4, 2), new ReLU()));
    expect(m.toString()).toBe(
      [
        'nn.Concat {',
        '  input',
        '    |`-> (1): nn.Linear(4 -> 3)',
        '     `-> (2): nn.Sequential {',
        '           [input -> (1) -> (2) -> output]',
        '           (1): nn.Linear(4 -> 2)',
        '           (2): nn.ReLU',
        '         }',
        '     ... -> output',
        '}',
      ].join('\n'),
    );
  });

  it('keeps the tensor count flat and frees its buffers on clearState', () => {
    manualSeed(4);
    const m = new Sequential(new Concat(1, new Linear(4, 3), new Identity()), new Linear(7, 2));
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 6);
    const dy = tf.ones([3, 2]);
    const before = expectFlatSteps(m, x, dy);
    m.clearState();
    expect(x.isDisposed).toBe(false);
    expect(dy.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});
