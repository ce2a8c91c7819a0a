import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { expectClose } from '../nn/testing';
import { Linear } from '../nn/Linear';
import { Sequential } from '../nn/Sequential';
import { View } from '../nn/View';
import { MSECriterion } from '../nn/MSECriterion';
import { fusedBackward } from '../train/fusedStep';
import { manualSeed } from '../util/random';
import { BiSequencer } from './BiSequencer';
import { FastLSTM } from './FastLSTM';
import { lstmSequence } from './lstmSequence';
import { unstackSteps } from './sequence';
import { lstmCellRef } from './testUtils';

/** The reference: PyTorch's cell step by step, differentiated by tfjs. */
function reference(x: Tensor, h0: Tensor, c0: Tensor, w: Tensor[], reverse: boolean): Tensor {
  const steps = unstackSteps(x);
  const hs: Tensor[] = new Array(steps.length);
  let state = [h0, c0];
  for (let k = 0; k < steps.length; k++) {
    const t = reverse ? steps.length - 1 - k : k;
    state = lstmCellRef(steps[t], state, w);
    hs[t] = state[0];
  }
  return tf.stack(hs);
}

describe('lstmSequence', () => {
  for (const [T, reverse] of [
    [1, false],
    [6, false],
    [6, true],
  ] as const)
    it(`T = ${T}${reverse ? ', last step first' : ''}: output and the gradients of all seven inputs match autodiff of the steps`, () => {
      manualSeed(3);
      const [N, I, H] = [3, 5, 4];
      const r = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 0.7, 'float32', seed);
      const args = [r([T, N, I], 1), r([N, H], 2), r([N, H], 3), r([4 * H, I], 4), r([4 * H, H], 5), r([4 * H], 6), r([4 * H], 7)];
      const dy = r([T, N, H], 8);
      const ours = (...a: Tensor[]) => lstmSequence(a[0], a[1], a[2], { wih: a[3], whh: a[4], bih: a[5], bhh: a[6] }, reverse);
      const ref = (...a: Tensor[]) => reference(a[0], a[1], a[2], a.slice(3), reverse);
      expectClose(ours(...args), ref(...args), { atol: 1e-6 });
      const got = tf.grads(ours)(args, dy);
      const want = tf.grads(ref)(args, dy);
      const names = ['x', 'h0', 'c0', 'weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'];
      got.forEach((g, i) => expectClose(g, want[i], { atol: 1e-5, what: names[i] }));
    });

  it('a BiSequencer(FastLSTM) model trained with the fused step keeps the tensor count flat', () => {
    manualSeed(4);
    const model = new Sequential(new BiSequencer(new FastLSTM(3, 4)), new View(-1, 8), new Linear(8, 2));
    const x = tf.randomNormal([7, 5, 3]);
    const y = tf.randomNormal([35, 2]);
    const criterion = new MSECriterion();
    const step = () => {
      model.zeroGradParameters();
      fusedBackward(model, criterion, x, y);
      model.updateParameters(0.1);
    };
    step();
    const before = tf.memory().numTensors;
    const first = fusedBackward(model, criterion, x, y);
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(fusedBackward(model, criterion, x, y)).toBeLessThan(first);
  });
});
