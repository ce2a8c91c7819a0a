import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Linear } from '../nn/Linear';
import { FastLSTM } from './FastLSTM';
import { LookupTableMaskZero } from './LookupTableMaskZero';
import { MaskZero } from './MaskZero';
import { Sequencer } from './Sequencer';
import { expectClose } from '../nn/testing';

describe('MaskZero and LookupTableMaskZero', () => {
  it('zeroes output rows whose input row is zero', () => {
    manualSeed(19);
    const m = new MaskZero(new Linear(2, 3));
    const x = tf.tensor2d([
      [1, 2],
      [0, 0],
      [3, 0],
    ]);
    const y = m.forward(x) as Tensor;
    expect(Array.from(y.slice([1, 0], [1, 3]).abs().dataSync())).toEqual([0, 0, 0]);
    const g = m.backward(x, tf.ones([3, 3])) as Tensor;
    expect(Array.from(g.slice([1, 0], [1, 2]).abs().dataSync())).toEqual([0, 0]);
  });

  it('LookupTableMaskZero maps 0 to zeros with no gradient; PyTorch Embedding(padding_idx=0) layout', () => {
    manualSeed(20);
    const lt = new LookupTableMaskZero(5, 3);
    expect(lt.stateDict().weight.shape).toEqual([6, 3]);
    const idx = tf.tensor1d([0, 2, 5], 'int32');
    const y = lt.forward(idx) as Tensor;
    expect(Array.from(y.slice([0, 0], [1, 3]).dataSync())).toEqual([0, 0, 0]);
    expectClose(y.slice([1, 0], [1, 3]), lt.weight.slice([2, 0], [1, 3]), { atol: 0 });
    lt.zeroGradParameters();
    lt.backward(idx, tf.ones([3, 3]));
    expect(Array.from(lt.gradWeight.sum(1).dataSync())).toEqual([0, 0, 3, 0, 0, 3]);
  });

  it('a left-padded batch gives each sequence the output it has alone (maskZero LSTM)', () => {
    manualSeed(21);
    const emb = new Sequencer(new LookupTableMaskZero(6, 4));
    const lstm = new FastLSTM(4, 3).maskZero();
    const seq = new Sequencer(lstm);
    // batch of two: [0, 0, 3, 4] (length 2, left-padded) and [1, 2, 3, 4]
    const batch = tf.tensor2d(
      [
        [0, 1],
        [0, 2],
        [3, 3],
        [4, 4],
      ],
      [4, 2],
      'int32',
    );
    const out = (seq.forward(emb.forward(batch)) as Tensor).clone();
    const alone = seq.forward(emb.forward(tf.tensor2d([[3], [4]], [2, 1], 'int32'))) as Tensor;
    expectClose(out.slice([2, 0, 0], [2, 1, 3]), alone, { atol: 1e-6 });
  });
});
