import type { Tensor } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossEntropyCriterion } from '../src/nn/CrossEntropyCriterion';
import type { Criterion } from '../src/nn/Criterion';
import { Linear } from '../src/nn/Linear';
import type { Module } from '../src/nn/Module';
import { ReLU } from '../src/nn/ReLU';
import { Sequential } from '../src/nn/Sequential';
import { SpatialBatchNormalization } from '../src/nn/SpatialBatchNormalization';
import { SpatialConvolution } from '../src/nn/SpatialConvolution';
import { SpatialMaxPooling } from '../src/nn/SpatialMaxPooling';
import { Tanh } from '../src/nn/Tanh';
import { expectClose } from '../src/nn/testing';
import { View } from '../src/nn/View';
import { disposeOptimState, type FEval, Optimizer, type OptimState, sgd } from '../src/optim';
import { tf } from '../src/tf';
import { fusedBackward } from '../src/train/fusedStep';
import { manualSeed } from '../src/util/random';

type Batch = { x: Tensor; t: Tensor };

function batches(n: number, shape: number[], classes: number, seed: number): Batch[] {
  return Array.from({ length: n }, (_, i) => ({
    x: tf.randomNormal(shape, 0, 1, 'float32', seed + i),
    t: tf.randomUniform([shape[0]], 0, classes, 'int32', seed + 100 + i),
  }));
}

function disposeBatches(bs: Batch[]) {
  for (const b of bs) {
    b.x.dispose();
    b.t.dispose();
  }
}

/** Torch's loop: forward, criterion forward/backward, zero, backward. Returns the loss. */
function classicBackward(m: Module, crit: Criterion, b: Batch): number {
  const y = m.forward(b.x);
  const loss = crit.forward(y, b.t);
  m.zeroGradParameters();
  m.backward(b.x, crit.backward(y, b.t));
  return loss;
}

function fused(m: Module, crit: Criterion, b: Batch): number {
  m.zeroGradParameters();
  return fusedBackward(m, crit, b.x, b.t);
}

/** 3 steps of each loop, with updateParameters, then with optim.sgd + momentum. */
function compareLoops(makeModel: () => Module, bs: Batch[], tol: number) {
  // updateParameters
  {
    const a = makeModel();
    const b = a.clone();
    const crit = new CrossEntropyCriterion();
    for (const batch of bs) {
      const la = classicBackward(a, crit, batch);
      a.updateParameters(0.1);
      const lb = fused(b, crit, batch);
      b.updateParameters(0.1);
      expectClose(la, lb, { atol: tol });
      expect(crit.output).toBe(lb);
    }
    expectClose(a.parameters()[0], b.parameters()[0], { atol: tol });
    // every state-dict entry, BatchNorm's running statistics included
    const da = a.stateDict();
    const db = b.stateDict();
    expect(Object.keys(db)).toEqual(Object.keys(da));
    expectClose(Object.values(da), Object.values(db), { atol: tol });
    [...Object.values(da), ...Object.values(db)].forEach((t) => t.dispose());
    a.dispose();
    b.dispose();
    crit.dispose();
  }
  // optim.sgd with momentum, weight decay and Nesterov
  {
    const a = makeModel();
    const b = a.clone();
    const crit = new CrossEntropyCriterion();
    const config: OptimState = { learningRate: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-3 };
    const sa: OptimState = {};
    const sb: OptimState = {};
    for (const batch of bs) {
      const fa: FEval = () => [classicBackward(a, crit, batch), a.parameters()[1]];
      const fb: FEval = () => [fused(b, crit, batch), b.parameters()[1]];
      const [, [la]] = sgd(fa, a.parameters()[0], config, sa);
      const [, [lb]] = sgd(fb, b.parameters()[0], config, sb);
      expectClose(la, lb, { atol: tol });
    }
    expectClose(a.parameters()[0], b.parameters()[0], { atol: tol });
    disposeOptimState(sa);
    disposeOptimState(sb);
    a.dispose();
    b.dispose();
    crit.dispose();
  }
  // the Optimizer wrapper (adam)
  {
    const a = makeModel();
    const b = a.clone();
    const crit = new CrossEntropyCriterion();
    const oa = new Optimizer(a, 'adam', { learningRate: 0.01 });
    const ob = new Optimizer(b, 'adam', { learningRate: 0.01 });
    for (const batch of bs) {
      oa.step(classicBackward(a, crit, batch));
      ob.step(fused(b, crit, batch));
    }
    expect(oa.state.t).toBe(bs.length);
    expectClose(a.parameters()[0], b.parameters()[0], { atol: tol });
    oa.dispose();
    ob.dispose();
    a.dispose();
    b.dispose();
    crit.dispose();
  }
}

/** numTensors stays constant over `steps` training steps of a loop. */
function expectFlat(step: () => void, steps: number) {
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) step();
  expect(tf.memory().numTensors).toBe(before);
}

// ----------------------------------------------------------------------- MLP

function mlp(): Module {
  manualSeed(7);
  return new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 3));
}

describe('fusedBackward on an MLP (Linear/Tanh/Linear + CrossEntropyCriterion)', () => {
  it('accumulates the gradient of an independently written loss', () => {
    const m = mlp();
    const crit = new CrossEntropyCriterion();
    const [b] = batches(1, [6, 4], 3, 11);
    const [ws, gs] = m.parameters();
    // Independent formula: mean over rows of logsumexp(z) − z[t], z = W2 tanh(W1 x + b1) + b2.
    const f = (w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) => {
      const z = tf.tanh(b.x.matMul(w1.transpose()).add(b1)).matMul(w2.transpose()).add(b2);
      const picked = tf.sum(z.mul(tf.oneHot(b.t, 3).cast('float32')), 1);
      return tf.mean(tf.logSumExp(z, 1).sub(picked));
    };
    const ref = tf.grads(f)(ws);
    const refLoss = f(ws[0], ws[1], ws[2], ws[3]);
    m.zeroGradParameters();
    const loss = fusedBackward(m, crit, b.x, b.t);
    expectClose(loss, refLoss, { atol: 1e-5 });
    expectClose(gs, ref, { atol: 1e-5 });
    // it accumulates, scaled, like backward(input, gradOutput, scale)
    fusedBackward(m, crit, b.x, b.t, 0.5);
    const scaled = ref.map((g) => g.mul(1.5));
    expectClose(gs, scaled, { atol: 1e-5 });
    // Zeroed, then written by something else: the buffers are not zeros any more, so it adds to them.
    m.zeroGradParameters();
    gs.forEach((g) => g.assign(tf.onesLike(g)));
    fusedBackward(m, crit, b.x, b.t);
    const plusOne = ref.map((g) => g.add(1));
    expectClose(gs, plusOne, { atol: 1e-5 });
    [...ref, ...scaled, ...plusOne, refLoss].forEach((t) => t.dispose());
    disposeBatches([b]);
    m.dispose();
  });

  it('gives the same parameters as the classic Torch loop after 3 steps', () => {
    const bs = batches(3, [6, 4], 3, 21);
    compareLoops(mlp, bs, 1e-5);
    disposeBatches(bs);
  });

  it('keeps the tensor count flat (both loops, 200 steps)', () => {
    const m = mlp();
    const crit = new CrossEntropyCriterion();
    const [b] = batches(1, [6, 4], 3, 31);
    const config: OptimState = { learningRate: 0.01, momentum: 0.9 };
    expectFlat(() => {
      sgd(() => [classicBackward(m, crit, b), m.parameters()[1]], m.parameters()[0], config);
    }, 200);
    const opt = new Optimizer(m, 'sgd', { learningRate: 0.01, momentum: 0.9 });
    expectFlat(() => {
      opt.step(fused(m, crit, b));
    }, 200);
    opt.dispose();
    disposeOptimState(config);
    disposeBatches([b]);
    m.dispose();
    crit.dispose();
  });
});

// ------------------------------------------------------------------- convnet

function convnet(): Module {
  manualSeed(3);
  return new Sequential(
    new SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1),
    new SpatialBatchNormalization(4),
    new ReLU(),
    new SpatialMaxPooling(2, 2),
    new View(4 * 4 * 4),
    new Linear(64, 5),
  );
}

describe('fusedBackward on a small convnet (cpu backend)', () => {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('gives the same parameters and BatchNorm running stats as the classic loop after 3 steps', () => {
    const bs = batches(3, [4, 8, 8, 3], 5, 41);
    compareLoops(convnet, bs, 1e-5);
    disposeBatches(bs);
  });

  it('keeps the tensor count flat over 200 steps (both loops)', () => {
    const m = convnet();
    const crit = new CrossEntropyCriterion();
    const [b] = batches(1, [4, 8, 8, 3], 5, 51);
    expectFlat(() => {
      classicBackward(m, crit, b);
      m.updateParameters(0.01);
    }, 200);
    const opt = new Optimizer(m, 'sgd', { learningRate: 0.01, momentum: 0.9 });
    expectFlat(() => {
      opt.step(fused(m, crit, b));
    }, 200);
    opt.dispose();
    disposeBatches([b]);
    m.dispose();
    crit.dispose();
  });
});
