import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { moduleFromSpec } from '../io/spec';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { CAddTable } from './CAddTable';
import { ConcatTable } from './ConcatTable';
import { Linear } from './Linear';
import { ReLU } from './ReLU';
import { ResidualDrop } from './ResidualDrop';
import { Sequential } from './Sequential';
import { BatchNormalization } from './BatchNormalization';
import { expectClose, expectFlatMemory } from './testing';

/** A branch with parameters and batch-norm statistics, and a projecting shortcut. */
function unit(deathRate: number): ResidualDrop {
  manualSeed(1);
  const branch = new Sequential(new Linear(4, 3), new BatchNormalization(3), new ReLU(), new Linear(3, 3));
  return new ResidualDrop(deathRate, branch, new Linear(4, 3));
}

/** The same unit without stochastic depth: ConcatTable(branch, shortcut) → CAddTable, weights copied. */
const reference = (m: ResidualDrop) => new Sequential(new ConcatTable(m.branch.clone(), m.shortcut.clone()), new CAddTable());

/** Draws training forwards from seed `seed` until the gate comes out as `open`; returns that seed. */
function seedFor(m: ResidualDrop, x: Tensor, open: boolean): string {
  for (let k = 0; ; k++) {
    manualSeed(`gate:${k}`);
    m.forward(x);
    if (m.gate === open) return `gate:${k}`;
  }
}

/** d/dinput and d/dparams of <m(x), dy> by the fused path: `apply` under autodiff. */
function fusedGrads(m: ResidualDrop, x: Tensor, dy: Tensor): Tensor[] {
  const [ws] = m.parameters();
  const { grads } = tf.engine().gradients(() => tf.sum((m.apply(x) as Tensor).mul(dy)), [x, ...ws], undefined, true);
  return grads.map((g, i) => g ?? tf.zerosLike([x, ...ws][i]));
}

describe('ResidualDrop', () => {
  const x = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
  const dy = tf.randomNormal([6, 3], 0, 1, 'float32', 4);

  it('with its gate open is ConcatTable(branch, shortcut) → CAddTable, forward and backward, classic and fused', () => {
    const m = unit(0.5);
    const ref = reference(m);
    const seed = seedFor(m, x, true);
    manualSeed(seed);
    expectClose(m.forward(x) as Tensor, ref.forward(x) as Tensor, { atol: 1e-6 });
    expect(m.gate).toBe(true);
    m.zeroGradParameters();
    ref.zeroGradParameters();
    expectClose(m.backward(x, dy) as Tensor, ref.backward(x, dy) as Tensor, { atol: 1e-6 });
    const [, gs] = m.parameters();
    const [, refGs] = ref.parameters();
    gs.forEach((g, i) => expectClose(g, refGs[i], { atol: 1e-6 }));

    manualSeed(seed);
    const fused = fusedGrads(m, x, dy);
    expect(m.gate).toBe(true);
    expectClose(fused[0], ref.gradInput as Tensor, { atol: 1e-5 });
    fused.slice(1).forEach((g, i) => expectClose(g, refGs[i], { atol: 1e-5 }));
  });

  it('with its gate closed is the shortcut alone: the branch gets no gradient and its statistics stay', () => {
    const m = unit(0.5);
    const bn = (m.branch as Sequential).get(1) as BatchNormalization;
    const seed = seedFor(m, x, false);
    const mean = bn.stateDict().running_mean;
    manualSeed(seed);
    const y = m.forward(x) as Tensor;
    expect(m.gate).toBe(false);
    expectClose(y, m.shortcut.forward(x) as Tensor, { atol: 0 });
    expectClose(bn.stateDict().running_mean, mean, { atol: 0 });
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    const shortcutW = (m.shortcut as Linear).weight;
    expectClose(gx, dy.matMul(shortcutW), { atol: 1e-6 });
    for (const { key, param } of m.namedParameters()) {
      const norm = param.grad.abs().sum().dataSync()[0];
      if (key.startsWith('0.')) expect(norm, key).toBe(0);
      else expect(norm, key).toBeGreaterThan(0);
    }
    // The fused path drops the same branch for the same seed.
    manualSeed(seed);
    const fused = fusedGrads(m, x, dy);
    expect(m.gate).toBe(false);
    expectClose(fused[0], gx, { atol: 1e-6 });
    const branchParams = m.branch.parameters()[0].length;
    for (const g of fused.slice(1, 1 + branchParams)) expect(g.abs().sum().dataSync()[0]).toBe(0);
  });

  it('drops the branch with probability deathRate, reproducibly from manualSeed', () => {
    const m = unit(0.3);
    const draw = (n: number) => {
      const gates: boolean[] = [];
      for (let i = 0; i < n; i++) {
        m.forward(x);
        gates.push(m.gate);
      }
      return gates;
    };
    manualSeed(7);
    const gates = draw(2000);
    const closed = gates.filter((g) => !g).length / gates.length;
    expect(closed).toBeGreaterThan(0.26);
    expect(closed).toBeLessThan(0.34);
    manualSeed(7);
    expect(draw(50)).toEqual(gates.slice(0, 50));
    // A death rate of 0 never drops it.
    const never = unit(0);
    for (let i = 0; i < 50; i++) {
      never.forward(x);
      expect(never.gate).toBe(true);
    }
  });

  it('in evaluation adds the branch scaled by 1 − deathRate, in both paths, and draws nothing', () => {
    const m = unit(0.25).evaluate();
    const ref = reference(m).evaluate();
    const branchOut = (m.branch.forward(x) as Tensor).clone();
    const want = tf.add(m.shortcut.forward(x) as Tensor, branchOut.mul(0.75));
    for (let i = 0; i < 5; i++) expectClose(m.forward(x) as Tensor, want, { atol: 1e-6 });
    expectClose(m.apply(x) as Tensor, want, { atol: 1e-6 });
    // The gradient: the branch's share scaled by 0.75, against the reference's children stepped by hand.
    m.zeroGradParameters();
    const gx = m.backward(x, dy) as Tensor;
    ref.zeroGradParameters();
    (ref.get(0) as ConcatTable).get(0).forward(x);
    (ref.get(0) as ConcatTable).get(1).forward(x);
    (ref.get(0) as ConcatTable).get(0).backward(x, dy.mul(0.75));
    (ref.get(0) as ConcatTable).get(1).backward(x, dy);
    const refGx = tf.add((ref.get(0) as ConcatTable).get(0).gradInput as Tensor, (ref.get(0) as ConcatTable).get(1).gradInput as Tensor);
    expectClose(gx, refGx, { atol: 1e-6 });
    m.parameters()[1].forEach((g, i) => expectClose(g, ref.parameters()[1][i], { atol: 1e-6 }));
    // Torch's split calls give the same, with nothing left over.
    const gxKept = gx.clone();
    const gradsKept = m.parameters()[1].map((g) => g.clone());
    const before = tf.memory().numTensors;
    m.zeroGradParameters();
    expectClose(m.updateGradInput(x, dy) as Tensor, gxKept, { atol: 1e-6 });
    m.accGradParameters(x, dy);
    m.parameters()[1].forEach((g, i) => expectClose(g, gradsKept[i], { atol: 1e-6 }));
    expect(tf.memory().numTensors).toBe(before);
    // The fused path's gradient is the same.
    const fused = fusedGrads(m, x, dy);
    expectClose(fused[0], refGx, { atol: 1e-5 });
    fused.slice(1).forEach((g, i) => expectClose(g, ref.parameters()[1][i], { atol: 1e-5 }));
  });

  it('rebuilds from its spec, prints as Torch7 draws branches, and keeps ConcatTable’s state-dict keys', () => {
    const m = unit(0.5);
    const copy = moduleFromSpec(JSON.parse(JSON.stringify(m.toSpec()))) as ResidualDrop;
    expect(copy).toBeInstanceOf(ResidualDrop);
    expect(copy.deathRate).toBe(0.5);
    expect(copy.toString()).toBe(m.toString());
    expect(m.toString().split('\n').slice(0, 4)).toEqual([
      'nn.ResidualDrop(0.5) {',
      '  input',
      '    |`-> (1): nn.Sequential {',
      '    |      [input -> (1) -> (2) -> (3) -> (4) -> output]',
    ]);
    expect(Object.keys(m.stateDict())).toEqual(Object.keys(new ConcatTable(m.branch.clone(), m.shortcut.clone()).stateDict()));
    expect(() => new ResidualDrop(1, new Linear(2, 2))).toThrow('death rate must be 0 <= p < 1, got 1');
    expect(() => m.add(new Linear(2, 2))).toThrow('exactly a branch and a shortcut');
  });

  it('names the mismatch when branch and shortcut disagree in shape', () => {
    const m = new ResidualDrop(0, new Linear(4, 3));
    expect(() => m.forward(x)).toThrow('ResidualDrop: the branch gives [6,3] but the shortcut [6,4]');
  });

  it('keeps the tensor count flat over training steps, gates open and closed, and in evaluation', () => {
    manualSeed(9);
    const m = new ResidualDrop(0.5, new Sequential(new Linear(5, 5), new ReLU(), new Linear(5, 5)));
    const [x5, dy5] = [tf.randomNormal([4, 5]), tf.randomNormal([4, 5])];
    const seen = new Set<boolean>();
    const step = () => {
      m.forward(x5);
      seen.add(m.gate);
      m.zeroGradParameters();
      m.backward(x5, dy5);
      m.updateParameters(0.01);
    };
    // The branch's buffers exist once it has run: count from when both gates have been drawn.
    while (seen.size < 2) step();
    const before = tf.memory().numTensors;
    const gates = new Set<boolean>();
    for (let i = 0; i < 20; i++) {
      step();
      gates.add(m.gate);
    }
    expect(gates.size).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
    expectFlatMemory(new ResidualDrop(0.5, new Linear(5, 5)).evaluate(), [4, 5]);
  });
});
