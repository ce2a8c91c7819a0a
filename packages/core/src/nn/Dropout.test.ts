import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Dropout } from './Dropout';
import { Linear } from './Linear';
import { Sequential } from './Sequential';
import { expectClose } from './testing';

/** An input with no zeros: 1 + |N(0,1)|. */
const nonzero = (shape: number[], seed: number) => tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).abs().add(1));

describe('Dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1/(1-p) in training (v2)', () => {
    manualSeed(1);
    const m = new Dropout(0.3);
    const x = nonzero([100, 50], 2);
    const y = m.forward(x) as Tensor;
    const xs = x.dataSync();
    const ys = y.dataSync();
    let zeros = 0;
    const kept: number[] = [];
    const want: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      if (ys[i] === 0) zeros++;
      else {
        kept.push(ys[i]);
        want.push(xs[i] / 0.7);
      }
    }
    expectClose(kept, want, { atol: 1e-5 });
    expect(zeros / xs.length).toBeGreaterThan(0.27);
    expect(zeros / xs.length).toBeLessThan(0.33);
  });

  it('reuses the forward mask in backward: gradInput is zero exactly where the output is', () => {
    manualSeed(2);
    const m = new Dropout(0.5);
    const x = nonzero([8, 16], 3);
    const dy = nonzero([8, 16], 4);
    const y = (m.forward(x) as Tensor).clone();
    const g1 = (m.backward(x, dy) as Tensor).clone();
    const g2 = m.updateGradInput(x, dy) as Tensor;
    const [ys, g1s, g2s, dys] = [y.dataSync(), g1.dataSync(), g2.dataSync(), dy.dataSync()];
    let dropped = 0;
    const kept: number[] = [];
    const want: number[] = [];
    for (let i = 0; i < ys.length; i++) {
      if (ys[i] === 0) {
        dropped++;
        expect(g1s[i]).toBe(0);
      } else {
        kept.push(g1s[i]);
        want.push(dys[i] * 2);
      }
      expect(g2s[i]).toBe(g1s[i]);
    }
    expectClose(kept, want, { atol: 1e-5 });
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(ys.length);
  });

  it('draws a new mask at each forward, reproducibly from manualSeed', () => {
    const x = tf.ones([64]);
    manualSeed(5);
    const m = new Dropout();
    const a = Array.from((m.forward(x) as Tensor).dataSync());
    const b = Array.from((m.forward(x) as Tensor).dataSync());
    expect(a).not.toEqual(b);
    manualSeed(5);
    const m2 = new Dropout();
    expect(Array.from((m2.forward(x) as Tensor).dataSync())).toEqual(a);
  });

  it('is the identity in evaluate mode (v2), forward and backward', () => {
    const m = new Dropout(0.4).evaluate();
    const x = nonzero([3, 5], 6);
    expect(Array.from((m.forward(x) as Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
    const dy = nonzero([3, 5], 7);
    expect(Array.from((m.backward(x, dy) as Tensor).dataSync())).toEqual(Array.from(dy.dataSync()));
  });

  it('with v1, does not scale in training and multiplies by (1-p) in evaluate mode', () => {
    manualSeed(3);
    const m = new Dropout(0.25, true);
    const x = nonzero([20, 20], 8);
    const y = m.forward(x) as Tensor;
    const [xs, ys] = [x.dataSync(), y.dataSync()];
    for (let i = 0; i < xs.length; i++) expect(ys[i] === 0 || ys[i] === xs[i]).toBe(true);
    m.evaluate();
    const ye = m.forward(x) as Tensor;
    expectClose(ye, x.mul(0.75), { atol: 1e-6 });
    const g = m.backward(x, tf.ones([20, 20])) as Tensor;
    expectClose(g, 0.75, { atol: 1e-6 });
  });

  it('passes everything with p = 0 and rejects p outside [0, 1)', () => {
    const m = new Dropout(0);
    const x = nonzero([4, 4], 9);
    expect(Array.from((m.forward(x) as Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => new Dropout(1)).toThrow('illegal percentage');
    expect(() => new Dropout(-0.1)).toThrow('illegal percentage');
    expect(() => m.setp(1.5)).toThrow('illegal percentage');
    expect(m.setp(0.2).p).toBe(0.2);
  });

  it("prints as Torch's __tostring__", () => {
    expect(new Dropout().toString()).toBe('nn.Dropout(0.500000)');
    expect(new Dropout(0.25).toString()).toBe('nn.Dropout(0.250000)');
  });

  it('backpropagates through the same mask inside a Sequential, with a flat tensor count', () => {
    manualSeed(4);
    const net = new Sequential(new Linear(6, 10), new Dropout(0.5), new Linear(10, 2));
    const x = nonzero([3, 6], 10);
    const dy = nonzero([3, 2], 11);
    const step = () => {
      net.forward(x);
      net.zeroGradParameters();
      net.backward(x, dy);
      // The gradient reaching the dropped units of the first Linear is exactly zero.
      const h = net.get(1).output as Tensor;
      const gh = net.get(1).gradInput as Tensor;
      const [hs, ghs] = [h.dataSync(), gh.dataSync()];
      for (let i = 0; i < hs.length; i++) if (hs[i] === 0) expect(ghs[i] === 0).toBe(true);
      net.updateParameters(0.01);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('draws one mask when apply() runs under a gradient tape (the fused path)', () => {
    manualSeed(6);
    const m = new Dropout(0.5);
    const x = nonzero([10, 10], 12);
    const dy = nonzero([10, 10], 13);
    const [gx] = tf.grads((xx: Tensor) => m.apply(xx) as Tensor)([x], dy);
    const expected = dy.mul(m.noise!);
    expect(Array.from(gx.dataSync())).toEqual(Array.from(expected.dataSync()));
    expect(Array.from(m.noise!.dataSync()).some((v) => v === 0)).toBe(true);
  });

  it('frees its mask in clearState()', () => {
    const m = new Dropout();
    m.forward(tf.ones([4]));
    const noise = m.noise!;
    m.clearState();
    expect(noise.isDisposed).toBe(true);
    expect(m.noise).toBeNull();
  });
});
