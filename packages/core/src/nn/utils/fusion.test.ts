import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../../tf';
import { manualSeed, random } from '../../util/random';
import { BatchNormalization } from '../BatchNormalization';
import { CAddTable } from '../CAddTable';
import { ConcatTable } from '../ConcatTable';
import { Identity } from '../Identity';
import { Linear } from '../Linear';
import type { Module } from '../Module';
import { ReLU } from '../ReLU';
import { Sequential } from '../Sequential';
import { SpatialBatchNormalization } from '../SpatialBatchNormalization';
import { SpatialConvolution } from '../SpatialConvolution';
import { View } from '../View';
import { expectClose } from '../testing';
import { foldBatchNorm, fuseConvBnEval, fuseLinearBnEval } from './fusion';

/** Running statistics far from 0 and 1, from a few training-mode batches. */
function warmUp(net: Module, shape: number[]): void {
  for (let s = 0; s < 3; s++) tf.tidy(() => void net.forward(tf.randomNormal(shape, 1.5, 2, 'float32', 40 + s)));
}

/** A residual unit as examples/resnet-mnist builds it, with a projection shortcut. */
function residualUnit(nIn: number, nOut: number, stride: number): Sequential {
  const branch = new Sequential(
    new SpatialConvolution(nIn, nOut, 3, 3, stride, stride, 1, 1),
    new SpatialBatchNormalization(nOut),
    new ReLU(),
    new SpatialConvolution(nOut, nOut, 3, 3, 1, 1, 1, 1).noBias(),
    new SpatialBatchNormalization(nOut),
  );
  const shortcut = new Sequential(new SpatialConvolution(nIn, nOut, 1, 1, stride, stride), new SpatialBatchNormalization(nOut));
  return new Sequential(new ConcatTable(branch, shortcut), new CAddTable(), new ReLU(), new SpatialBatchNormalization(nOut));
}

function countOf(net: Module, type: abstract new (...args: never[]) => Module): number {
  let n = 0;
  const visit = (m: Module) => {
    if (m instanceof type) n++;
    for (const c of m.children()) visit(c);
  };
  visit(net);
  return n;
}

describe('fuseConvBnEval', () => {
  for (const [label, make] of [
    ['3x3, stride 1, pad 1, with bias', () => new SpatialConvolution(3, 5, 3, 3, 1, 1, 1, 1)],
    ['5x3, stride 2, uneven padding, without bias', () => new SpatialConvolution(3, 5, 5, 3, 2, 2, 2, 1).noBias()],
    ['1x1, stride 2', () => new SpatialConvolution(3, 5, 1, 1, 2, 2)],
  ] as const) {
    it(`computes bn(conv(x)) in evaluate mode: ${label}`, () => {
      manualSeed(11);
      const conv = make();
      const bn = new SpatialBatchNormalization(5);
      (bn.bias as Variable).assign(tf.tensor1d([0.5, -1, 0, 2, 0.1]));
      const ref = new Sequential(conv, bn);
      warmUp(ref, [4, 9, 7, 3]);
      ref.evaluate();
      const x = tf.randomNormal([2, 9, 7, 3], 0, 1, 'float32', 12);
      const fused = fuseConvBnEval(conv, bn);
      expect(fused.bias).toBeDefined();
      expectClose(fused.forward(x) as Tensor, ref.forward(x) as Tensor, { atol: 1e-5, rtol: 1e-5 });
      fused.dispose();
    });
  }

  it('folds a BatchNormalization without affine parameters', () => {
    manualSeed(12);
    const conv = new SpatialConvolution(2, 4, 3, 3, 1, 1, 1, 1);
    const bn = new SpatialBatchNormalization(4, 1e-3, 0.1, false);
    const ref = new Sequential(conv, bn);
    warmUp(ref, [3, 6, 6, 2]);
    ref.evaluate();
    const x = tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 13);
    const fused = fuseConvBnEval(conv, bn);
    expectClose(fused.forward(x) as Tensor, ref.forward(x) as Tensor, { atol: 1e-5, rtol: 1e-5 });
  });

  it('names both modules when the plane counts differ', () => {
    const net = new Sequential(new SpatialConvolution(2, 4, 3, 3), new SpatialBatchNormalization(3));
    expect(() => fuseConvBnEval(net.get(0) as SpatialConvolution, net.get(1) as SpatialBatchNormalization)).toThrow(
      'fuseConvBnEval: Sequential.SpatialBatchNormalization(2) normalises 3 features, but Sequential.SpatialConvolution(1) gives 4',
    );
  });
});

describe('fuseLinearBnEval', () => {
  for (const withBias of [true, false])
    it(`computes bn(linear(x)) in evaluate mode, ${withBias ? 'with' : 'without'} bias, batched or not`, () => {
      manualSeed(14);
      const linear = new Linear(6, 4, withBias);
      const bn = new BatchNormalization(4, 1e-3);
      (bn.bias as Variable).assign(tf.tensor1d([1, -0.5, 0, 0.25]));
      const ref = new Sequential(linear, bn);
      warmUp(ref, [8, 6]);
      ref.evaluate();
      const fused = fuseLinearBnEval(linear, bn);
      const x = tf.randomNormal([5, 6], 0, 1, 'float32', 15);
      expectClose(fused.forward(x) as Tensor, ref.forward(x) as Tensor, { atol: 1e-5, rtol: 1e-5 });
      const one = tf.randomNormal([6], 0, 1, 'float32', 16);
      expectClose(fused.forward(one) as Tensor, ref.forward(one) as Tensor, { atol: 1e-5, rtol: 1e-5 });
      fused.dispose();
    });

  it('names both modules when the feature counts differ', () => {
    const net = new Sequential(new Linear(3, 5), new BatchNormalization(4));
    expect(() => fuseLinearBnEval(net.get(0) as Linear, net.get(1) as BatchNormalization)).toThrow(
      'fuseLinearBnEval: Sequential.BatchNormalization(2) normalises 4 features, but Sequential.Linear(1) gives 5',
    );
  });
});

describe('foldBatchNorm', () => {
  it("folds a captcha CNN's convolution and Linear pairs, and keeps its evaluate-mode outputs", () => {
    manualSeed(25);
    const net = new Sequential(
      new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1),
      new SpatialBatchNormalization(4, 1e-3),
      new ReLU(),
      new View(-1, 4 * 6 * 10),
      new Linear(4 * 6 * 10, 8),
      new BatchNormalization(8, 1e-3),
      new ReLU(),
      new Linear(8, 3),
    );
    warmUp(net, [6, 6, 10, 1]);
    net.evaluate();
    const x = tf.randomNormal([3, 6, 10, 1], 0, 1, 'float32', 26);
    const folded = foldBatchNorm(net);
    expect(countOf(folded, BatchNormalization)).toBe(0);
    expect(countOf(folded, Identity)).toBe(2);
    expectClose(folded.forward(x) as Tensor, net.forward(x) as Tensor, { atol: 1e-5, rtol: 1e-5 });
    folded.dispose();
  });

  it('folds every convolution-then-BN pair of a residual net and keeps its evaluate-mode outputs', () => {
    manualSeed(21);
    const net = new Sequential(residualUnit(3, 6, 2), residualUnit(6, 6, 1));
    warmUp(net, [4, 8, 8, 3]);
    net.evaluate();
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 22);
    const before = (net.forward(x) as Tensor).clone();

    const folded = foldBatchNorm(net);
    // Six pairs folded; the BN after the CAddTable follows no convolution and stays.
    expect(countOf(folded, SpatialBatchNormalization)).toBe(2);
    expect(countOf(folded, Identity)).toBe(6);
    expect(countOf(folded, SpatialConvolution)).toBe(6);
    expectClose(folded.forward(x) as Tensor, before, { atol: 1e-5, rtol: 1e-5 });
    // An Identity stands where each BN was, so the printout keeps its numbering.
    expect(folded.toString().split('\n').length).toBe(net.toString().split('\n').length);

    // The original is untouched.
    expect(countOf(net, SpatialBatchNormalization)).toBe(8);
    expectClose(net.forward(x) as Tensor, before, { atol: 0 });
    folded.dispose();
  });

  it('folds the model itself with inplace, freeing the folded modules', () => {
    manualSeed(33);
    const net = residualUnit(2, 4, 1);
    warmUp(net, [3, 5, 5, 2]);
    net.evaluate();
    const x = tf.randomNormal([1, 5, 5, 2], 0, 1, 'float32', 34);
    const before = (net.forward(x) as Tensor).clone();
    net.clearState();
    const tensors = tf.memory().numTensors;
    expect(foldBatchNorm(net, { inplace: true })).toBe(net);
    expect(countOf(net, SpatialBatchNormalization)).toBe(1);
    // Three BNs went (7 tensors each: weight, bias, their gradients, and 3 buffers); the folded convolutions
    // replaced theirs one for one, but for a bias (and its gradient) where the branch's second had none.
    expect(tf.memory().numTensors).toBe(tensors - 3 * 7 + 2);
    expectClose(net.forward(x) as Tensor, before, { atol: 1e-5, rtol: 1e-5 });
    net.dispose();
  });

  it('neither shifts the random stream nor leaks tensors', () => {
    manualSeed(31);
    const net = residualUnit(2, 4, 1);
    const tensors = tf.memory().numTensors;
    manualSeed(32);
    const folded = foldBatchNorm(net);
    const next = random();
    manualSeed(32);
    expect(random()).toBe(next);
    folded.forward(tf.tidy(() => tf.zeros([1, 5, 5, 2])));
    folded.dispose();
    expect(tf.memory().numTensors).toBe(tensors + 1); // the input above
  });
});
