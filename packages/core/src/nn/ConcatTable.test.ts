import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { CAddTable } from './CAddTable';
import { ClassNLLCriterion } from './ClassNLLCriterion';
import { ConcatTable } from './ConcatTable';
import { Identity } from './Identity';
import { Linear } from './Linear';
import { ParallelTable } from './ParallelTable';
import { ReLU } from './ReLU';
import { SelectTable } from './SelectTable';
import { Sequential } from './Sequential';
import { expectClose } from './testing';

const lin = (x: Tensor, w: Tensor, b: Tensor) => x.matMul(w, false, true).add(b);

describe('ConcatTable', () => {
  it('gives every child the input and sums their gradInputs; parameters match tf.grads', () => {
    manualSeed(1);
    const m = new ConcatTable(new Linear(4, 3), new Sequential(new Linear(4, 2), new ReLU()), new Identity());
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    const dys = [tf.randomNormal([5, 3], 0, 1, 'float32', 2), tf.randomNormal([5, 2], 0, 1, 'float32', 3), tf.randomNormal([5, 4], 0, 1, 'float32', 4)];
    const [ws] = m.parameters();
    const f = (xx: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => [lin(xx, w1, b1), tf.relu(lin(xx, w2, b2)), xx];
    const out = m.forward(x) as Tensor[];
    const ref = f(x, ...(ws as Tensor[] as [Tensor, Tensor, Tensor, Tensor]));
    expect(out.length).toBe(3);
    out.forEach((o, i) => expectClose(o, ref[i], { atol: 1e-6 }));
    expect(out[2]).toBe(x); // Identity passes the input through

    m.zeroGradParameters();
    const gx = m.backward(x, dys) as Tensor;
    const refGrads = tf.grads((xx: Tensor, ...p: Tensor[]) => {
      const outs = f(xx, ...(p as [Tensor, Tensor, Tensor, Tensor]));
      return tf.addN(outs.map((o, i) => tf.sum(o.mul(dys[i]))));
    })([x, ...ws]);
    expectClose(gx, refGrads[0], { atol: 1e-5 });
    m.parameters()[1].forEach((g, i) => expectClose(g, refGrads[i + 1], { atol: 1e-5 }));

    // Torch's split calls give the same: updateGradInput then accGradParameters.
    m.zeroGradParameters();
    const gx2 = m.updateGradInput(x, dys) as Tensor;
    m.accGradParameters(x, dys, 0.5);
    expectClose(gx2, refGrads[0], { atol: 1e-5 });
    m.parameters()[1].forEach((g, i) => expectClose(g, refGrads[i + 1].mul(0.5), { atol: 1e-5 }));

    // The fused path: compute under autodiff gives the same gradient.
    const viaApply = tf.grads((xx: Tensor) => {
      const outs = m.apply(xx) as Tensor[];
      return tf.addN(outs.map((o, i) => tf.sum(o.mul(dys[i]))));
    })([x])[0];
    expectClose(viaApply, refGrads[0], { atol: 1e-5 });
  });

  it('sums table gradInputs entry by entry for a table input', () => {
    const m = new ConcatTable(new SelectTable(0), new SelectTable(-1), new Identity());
    const a = tf.tensor1d([1, 2]);
    const b = tf.tensor1d([3, 4, 5]);
    const out = m.forward([a, b]) as Tensor[][];
    expect(out[0]).toBe(a);
    expect(out[1]).toBe(b);
    const ga = tf.tensor1d([10, 20]);
    const gb = tf.tensor1d([1, 1, 1]);
    const gId = [tf.tensor1d([1, 2]), tf.tensor1d([3, 4, 5])];
    const g = m.backward([a, b], [ga, gb, gId]) as Tensor[];
    // d/da = ga + 0 + gId[0]; d/db = 0 + gb + gId[1]
    expect(g[0].arraySync()).toEqual([11, 22]);
    expect(g[1].arraySync()).toEqual([4, 5, 6]);
  });

  it('names the child in shape errors', () => {
    const m = new Sequential(new ConcatTable(new Linear(4, 2), new Sequential(new Identity(), new Linear(3, 2))));
    expect(() => m.forward(tf.ones([2, 4]))).toThrow('Sequential.ConcatTable(1).Sequential(2).Linear(2): expected input [N,3] or [3], got [2,4]');
    expect(() => m.apply(tf.ones([2, 4]))).toThrow('Sequential.ConcatTable(1).Sequential(2).Linear(2)');
  });

  it('rejects a gradOutput that is not one table entry per child', () => {
    const m = new ConcatTable(new Identity(), new Identity());
    const x = tf.ones([2]);
    m.forward(x);
    expect(() => m.backward(x, [x])).toThrow('ConcatTable: expected gradOutput a table of 2 entries, got {[2]}');
  });

  it('prints as Torch7, the last branch with `->', () => {
    const m = new ConcatTable(new Sequential(new Linear(4, 3), new ReLU()), new Identity());
    expect(m.toString()).toBe(
      [
        'nn.ConcatTable {',
        '  input',
        '    |`-> (1): nn.Sequential {',
        '    |      [input -> (1) -> (2) -> output]',
        '    |      (1): nn.Linear(4 -> 3)',
        '    |      (2): nn.ReLU',
        '    |    }',
        '     `-> (2): nn.Identity',
        '     ... -> output',
        '}',
      ].join('\n'),
    );
  });

  it('nested ConcatTable / ParallelTable continuation lines are indented as Torch7', () => {
    const m = new ParallelTable(new ConcatTable(new Identity(), new Linear(2, 2)), new Identity());
    expect(m.toString()).toBe(
      [
        'nn.ParallelTable {',
        '  input',
        '    |`-> (1): nn.ConcatTable {',
        '    |      input',
        '    |        |`-> (1): nn.Identity',
        '    |         `-> (2): nn.Linear(2 -> 2)',
        '    |         ... -> output',
        '    |    }',
        '    |`-> (2): nn.Identity',
        '     ... -> output',
        '}',
      ].join('\n'),
    );
  });

  it('keeps the tensor count flat over training steps of a ConcatTable -> CAddTable model', () => {
    manualSeed(2);
    const m = new Sequential(
      new Linear(4, 6),
      new ConcatTable(new Sequential(new Linear(6, 6), new ReLU(), new Linear(6, 6)), new Identity()),
      new CAddTable(true),
      new ReLU(true),
      new Linear(6, 3),
    );
    const crit = new ClassNLLCriterion();
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 5);
    const t = tf.tensor1d([0, 1, 2, 0, 1], 'int32');
    const step = (split: boolean) => {
      const y = m.forward(x) as Tensor;
      const logp = tf.logSoftmax(y);
      crit.forward(logp, t);
      const g = crit.backward(logp, t) as Tensor;
      const gy = tf.tidy(() => tf.grads((z: Tensor) => tf.logSoftmax(z))([y], g)[0]);
      m.zeroGradParameters();
      if (split) {
        m.updateGradInput(x, gy);
        m.accGradParameters(x, gy);
      } else m.backward(x, gy);
      m.updateParameters(0.1);
      logp.dispose();
      gy.dispose();
    };
    step(false);
    step(true);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) step(i % 2 === 0);
    expect(tf.memory().numTensors).toBe(before);
    // clearState frees the buffers the modules made, but not the input.
    m.clearState();
    expect(x.isDisposed).toBe(false);
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});
