import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { ClassNLLCriterion } from './ClassNLLCriterion';
import { Linear } from './Linear';
import { ReLU } from './ReLU';
import { Sequential } from './Sequential';
import { expectClose } from './testing';
import { manualSeed } from '../util/random';
import type { Tensor } from '@tensorflow/tfjs-core';

function mlp() {
  manualSeed(1);
  return new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
}

describe('Sequential', () => {
  it('chains forward and matches tf autodiff in backward', () => {
    const m = mlp();
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
    const dy = tf.randomNormal([5, 3], 0, 1, 'float32', 4);
    const y = m.forward(x) as Tensor;
    expect(y.shape).toEqual([5, 3]);
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    const [ws, gs] = m.parameters();
    const f = (xx: Tensor, ...p: Tensor[]) =>
      tf
        .relu(xx.matMul(p[0], false, true).add(p[1]))
        .matMul(p[2], false, true)
        .add(p[3]);
    const ref = tf.grads(f)([x, ...ws], dy);
    expect(gx.arraySync()).toEqual(ref[0].arraySync());
    gs.forEach((g, i) => expectClose(g, ref[i + 1], { atol: 1e-6 }));
  });

  it('accumulates gradients across backward calls, scaled, as Torch does', () => {
    const m = mlp();
    const x = tf.ones([2, 4]);
    const dy = tf.ones([2, 3]);
    m.forward(x);
    m.zeroGradParameters();
    m.backward(x, dy);
    const once = m.parameters()[1][0].clone();
    m.backward(x, dy, 0.5);
    const total = m.parameters()[1][0];
    expectClose(total, once.mul(1.5), { atol: 1e-6 });
  });

  it('prints as Torch does', () => {
    expect(mlp().toString()).toBe(
      'nn.Sequential {\n  [input -> (1) -> (2) -> (3) -> output]\n  (1): nn.Linear(4 -> 8)\n  (2): nn.ReLU\n  (3): nn.Linear(8 -> 3)\n}',
    );
  });

  it('names the module path and shapes in a shape error', () => {
    const m = new Sequential(new Linear(4, 8), new ReLU(), new Sequential(new ReLU(), new Linear(9, 3)));
    expect(() => m.forward(tf.ones([2, 4]))).toThrow('Sequential.Sequential(3).Linear(2): expected input [N,9] or [9], got [2,8]');
  });

  it('keeps the tensor count flat over training steps', () => {
    const m = mlp();
    const crit = new ClassNLLCriterion();
    const x = tf.randomNormal([6, 4]);
    const t = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const step = () => {
      const y = m.forward(x);
      const logp = tf.logSoftmax(y as Tensor);
      crit.forward(logp, t);
      const g = crit.backward(logp, t);
      const gy = tf.tidy(() => tf.grads((z: Tensor) => tf.logSoftmax(z))([y as Tensor], g as Tensor)[0]);
      m.zeroGradParameters();
      m.backward(x, gy);
      m.updateParameters(0.1);
      logp.dispose();
      gy.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Module lifetime', () => {
  it('frees everything it made when disposed', () => {
    const before = tf.memory().numTensors;
    const m = mlp();
    m.forward(tf.tidy(() => tf.ones([2, 4])));
    m.dispose();
    expect(tf.memory().numTensors).toBe(before + 1); // the input, which the caller owns
  });
});

describe('clone, share and reset', () => {
  const weightsOf = (m: Sequential) => m.parameters()[0].map((w) => Array.from(w.dataSync()));

  it('clone() is a deep copy that prints and computes the same', () => {
    const m = mlp();
    const c = m.clone();
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 9);
    expect(c.toString()).toBe(m.toString());
    expect(c.parent).toBeNull();
    expect((c.forward(x) as Tensor).arraySync()).toEqual((m.forward(x) as Tensor).arraySync());
    m.parameters()[0].forEach((w, i) => expect(c.parameters()[0][i]).not.toBe(w));
    const before = weightsOf(c);
    m.zeroGradParameters();
    m.backward(x, tf.onesLike(m.output as Tensor));
    m.updateParameters(0.5);
    expect(weightsOf(c)).toEqual(before);
    c.dispose();
    expect(() => m.forward(x)).not.toThrow();
  });

  it("clone('weight', 'bias') shares parameters, and disposing one sharer keeps them alive", () => {
    const m = mlp();
    const c = m.clone('weight', 'bias', 'gradWeight', 'gradBias');
    m.parameters()[0].forEach((w, i) => expect(c.parameters()[0][i]).toBe(w));
    const x = tf.ones([2, 4]);
    m.forward(x);
    c.forward(x);
    m.zeroGradParameters();
    m.backward(x, tf.onesLike(m.output as Tensor));
    const once = m.parameters()[1].map((g) => Array.from(g.dataSync()));
    c.backward(x, tf.onesLike(c.output as Tensor));
    // Shared gradient buffers: the clone's backward added the same amount again.
    m.parameters()[1].forEach((g, i) =>
      expectClose(
        g,
        once[i].map((v) => 2 * v),
        { atol: 1e-5 },
      ),
    );
    m.updateParameters(0.1);
    expect(weightsOf(c)).toEqual(weightsOf(m));
    c.dispose();
    expect(m.parameters()[0].every((w) => !w.isDisposed)).toBe(true);
    const before = tf.memory().numTensors;
    m.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(m.parameters()[0].every((w) => w.isDisposed)).toBe(true);
  });

  it("share() makes one module use another's weights", () => {
    const a = new Linear(3, 2);
    const b = new Linear(3, 2).share(a, 'weight', 'bias');
    const x = tf.ones([1, 3]);
    expect((b.forward(x) as Tensor).arraySync()).toEqual((a.forward(x) as Tensor).arraySync());
    expect(b.weight).toBe(a.weight);
  });

  it('reset() redraws the weights from the library seed', () => {
    const a = mlp();
    const b = mlp();
    manualSeed(5);
    a.reset();
    const first = weightsOf(a);
    manualSeed(5);
    b.reset();
    expect(weightsOf(b)).toEqual(first);
    manualSeed(6);
    b.reset();
    expect(weightsOf(b)).not.toEqual(first);
  });
});
