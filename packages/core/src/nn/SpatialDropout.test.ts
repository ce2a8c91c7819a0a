import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Dropout } from './Dropout';
import { Sequential } from './Sequential';
import { SpatialDropout } from './SpatialDropout';
import { expectClose } from './testing';

const nonzero = (shape: number[], seed: number) => tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).abs().add(1));

describe('SpatialDropout', () => {
  it('is a Dropout', () => {
    expect(new SpatialDropout()).toBeInstanceOf(Dropout);
  });

  it('drops whole channels per sample, unscaled, as Torch7', () => {
    manualSeed(1);
    const m = new SpatialDropout(0.5);
    const x = nonzero([6, 3, 4, 10], 2);
    const y = m.forward(x) as Tensor;
    expect(m.noise!.shape).toEqual([6, 1, 1, 10]);
    const xa = x.arraySync() as number[][][][];
    const ya = y.arraySync() as number[][][][];
    let droppedPlanes = 0;
    for (let n = 0; n < 6; n++)
      for (let c = 0; c < 10; c++) {
        const kept = ya[n][0][0][c] !== 0;
        if (!kept) droppedPlanes++;
        for (let h = 0; h < 3; h++) for (let w = 0; w < 4; w++) expect(ya[n][h][w][c]).toBe(kept ? xa[n][h][w][c] : 0);
      }
    expect(droppedPlanes).toBeGreaterThan(15);
    expect(droppedPlanes).toBeLessThan(45);
  });

  it('masks gradInput with the forward mask', () => {
    manualSeed(2);
    const m = new SpatialDropout(0.5);
    const x = nonzero([2, 2, 2, 8], 3);
    const dy = nonzero([2, 2, 2, 8], 4);
    const y = (m.forward(x) as Tensor).clone();
    const g = m.backward(x, dy) as Tensor;
    const [ys, gs, dys] = [y.dataSync(), g.dataSync(), dy.dataSync()];
    for (let i = 0; i < ys.length; i++) expect(gs[i]).toBe(ys[i] === 0 ? 0 : dys[i]);
  });

  it('multiplies by (1-p) in evaluate mode, on [N,H,W,C] and [H,W,C]', () => {
    const m = new SpatialDropout(0.2).evaluate();
    const x = nonzero([2, 3, 3, 4], 5);
    expectClose(m.forward(x) as Tensor, x.mul(0.8), { atol: 1e-6 });
    const x3 = nonzero([3, 3, 4], 6);
    expectClose(m.forward(x3) as Tensor, x3.mul(0.8), { atol: 1e-6 });
  });

  it('draws a [1,1,C] mask for an unbatched input', () => {
    manualSeed(3);
    const m = new SpatialDropout();
    m.forward(nonzero([2, 2, 6], 7));
    expect(m.noise!.shape).toEqual([1, 1, 6]);
  });

  it("prints as Torch's __tostring__", () => {
    expect(new SpatialDropout().toString()).toBe('nn.SpatialDropout(0.500000)');
    expect(new SpatialDropout(0.1).toString()).toBe('nn.SpatialDropout(0.100000)');
  });

  it('names the module path in shape errors', () => {
    const net = new Sequential(new SpatialDropout());
    expect(() => net.forward(tf.ones([4, 5]))).toThrow('Sequential.SpatialDropout(1): expected input [N,H,W,C] or [H,W,C], got [4,5]');
  });
});
