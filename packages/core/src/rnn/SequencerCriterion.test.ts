import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { ClassNLLCriterion } from '../nn/ClassNLLCriterion';
import { SequencerCriterion } from './SequencerCriterion';
import { expectClose } from '../nn/testing';

describe('SequencerCriterion', () => {
  it('sums the step losses (averages with sizeAverage) over tables and tensors', () => {
    const x = tf.logSoftmax(tf.randomNormal([3, 2, 4], 0, 1, 'float32', 1));
    const t = tf.tensor2d(
      [
        [0, 1],
        [2, 3],
        [1, 1],
      ],
      [3, 2],
      'int32',
    );
    const nll = new ClassNLLCriterion();
    const per = [0, 1, 2].map((i) => nll.forward(x.slice([i, 0, 0], [1, 2, 4]).reshape([2, 4]), t.slice([i, 0], [1, 2]).reshape([2])));
    const sum = per.reduce((a, b) => a + b);
    const c = new SequencerCriterion(new ClassNLLCriterion());
    expect(c.forward(x, t)).toBeCloseTo(sum, 5);
    expect(new SequencerCriterion(new ClassNLLCriterion(), true).forward(x, t)).toBeCloseTo(sum / 3, 5);
    const xs = tf.unstack(x);
    expect(
      c.forward(xs, [
        [0, 1],
        [2, 3],
        [1, 1],
      ]),
    ).toBeCloseTo(sum, 5);
    const g = (c.backward(x, t) as Tensor).clone();
    const gs = c.backward(xs, tf.unstack(t)) as Tensor[];
    expectClose(g, tf.stack(gs), { atol: 1e-7 });
    expect(g.shape).toEqual([3, 2, 4]);
  });
});
