import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Sequential } from './Sequential';
import { SpatialMaxPooling } from './SpatialMaxPooling';
import { expectClose } from './testing';

/** [1, h, w, 1] holding 0, 1, 2, … row by row. */
const ramp = (h: number, w: number) => tf.range(0, h * w).reshape([1, h, w, 1]);
const plane = (t: Tensor) => (t.arraySync() as number[][][][])[0].map((r) => r.map((v) => v[0]));

/** PyTorch's output size: ceil mode drops a last window starting past input + pad. */
function outSize(size: number, k: number, d: number, p: number, ceil: boolean): number {
  let o = Math.floor((size + 2 * p - k + (ceil ? d - 1 : 0)) / d) + 1;
  if (ceil && (o - 1) * d >= size + p) o--;
  return o;
}

/**
 * Max pooling without a pooling op: for each kernel offset a 0/1 selection
 * matrix picks the input pixel (or none, in the padding, which gets −1e30);
 * the result is the max over offsets.
 */
function selectMaxPool(x: Tensor, [kW, kH, dW, dH, padW, padH]: number[], ceil: boolean): Tensor {
  const [n, h, w, c] = x.shape;
  const oH = outSize(h, kH, dH, padH, ceil);
  const oW = outSize(w, kW, dW, padW, ceil);
  const flat = x.reshape([n, h * w, c]);
  const terms: Tensor[] = [];
  for (let ky = 0; ky < kH; ky++)
    for (let kx = 0; kx < kW; kx++) {
      const sel = tf.buffer([oH * oW, h * w]);
      const empty = tf.buffer([oH * oW, 1]);
      for (let oy = 0; oy < oH; oy++)
        for (let ox = 0; ox < oW; ox++) {
          const yy = oy * dH - padH + ky;
          const xx = ox * dW - padW + kx;
          if (yy >= 0 && yy < h && xx >= 0 && xx < w) sel.set(1, oy * oW + ox, yy * w + xx);
          else empty.set(-1e30, oy * oW + ox, 0);
        }
      terms.push(tf.matMul(tf.tile(sel.toTensor().expandDims(0), [n, 1, 1]), flat).add(empty.toTensor()));
    }
  return tf.max(tf.stack(terms), 0).reshape([n, oH, oW, c]);
}

describe('SpatialMaxPooling', () => {
  it('defaults the stride to the kernel size', () => {
    const m = new SpatialMaxPooling(2, 3);
    expect([m.dW, m.dH]).toEqual([2, 3]);
  });

  it('floors and ceils the output size on odd inputs (hand-computed)', () => {
    const x = ramp(5, 5);
    const m = new SpatialMaxPooling(2, 2);
    expect(plane(m.forward(x) as Tensor)).toEqual([
      [6, 8],
      [16, 18],
    ]);
    m.ceil();
    expect(plane(m.forward(x) as Tensor)).toEqual([
      [6, 8, 9],
      [16, 18, 19],
      [21, 23, 24],
    ]);
    m.floor();
    expect((m.forward(x) as Tensor).shape).toEqual([1, 2, 2, 1]);
  });

  it('treats padding as -Infinity (hand-computed)', () => {
    // 3x3 windows, stride 2, pad 1 on a 4x5 ramp of negatives: padding must never win.
    const x = ramp(4, 5).neg();
    const y = new SpatialMaxPooling(3, 3, 2, 2, 1, 1).forward(x) as Tensor;
    expect(plane(y)).toEqual([
      [-0, -1, -3],
      [-5, -6, -8],
    ]);
  });

  it("drops a last window that would start past the input in ceil mode (Torch's rule)", () => {
    // 5 wide, kernel 3, stride 3, pad 1: ceil((5+2-3)/3)+1 = 3 windows, but the third starts at 5 = 5+1-1 → 2.
    const m = new SpatialMaxPooling(3, 3, 3, 3, 1, 1).ceil();
    const y = m.forward(ramp(5, 5)) as Tensor;
    expect(plane(y)).toEqual([
      [6, 9],
      [21, 24],
    ]);
  });

  const configs: { args: number[]; ceil: boolean; input: number[] }[] = [
    { args: [2, 2, 2, 2, 0, 0], ceil: false, input: [2, 5, 7, 3] },
    { args: [3, 2, 2, 1, 1, 0], ceil: true, input: [2, 6, 7, 2] },
    { args: [3, 3, 2, 2, 1, 1], ceil: true, input: [1, 6, 6, 2] },
    { args: [2, 3, 1, 2, 1, 1], ceil: false, input: [2, 5, 4, 1] },
    // tfjs's 'same' padding places these windows (the route without a padded copy)…
    { args: [2, 2, 2, 2, 0, 0], ceil: true, input: [2, 5, 7, 3] },
    // …and not these (it would pad one before), so they take the padded route.
    { args: [3, 3, 3, 3, 0, 0], ceil: true, input: [1, 7, 7, 2] },
  ];
  for (const { args, ceil, input } of configs) {
    it(`matches tf autodiff of a selection-matrix max in forward and backward (${args.join(',')}${ceil ? ', ceil' : ''})`, () => {
      const [kW, kH, dW, dH, padW, padH] = args;
      const m = new SpatialMaxPooling(kW, kH, dW, dH, padW, padH);
      if (ceil) m.ceil();
      // A permutation (7919 is prime): distinct values, so every window has one maximum.
      const size = input.reduce((a, b) => a * b);
      const x = tf.tensor(
        Array.from({ length: size }, (_, i) => ((i * 7919) % size) / size),
        input,
      );
      const y = m.forward(x) as Tensor;
      const ref = selectMaxPool(x, args, ceil);
      expect(y.shape).toEqual(ref.shape);
      expectClose(y, ref, { atol: 1e-6 });
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
      const gx = m.backward(x, dy) as Tensor;
      const [rx] = tf.grads((xx: Tensor) => selectMaxPool(xx, args, ceil))([x], dy);
      expectClose(gx, rx, { atol: 1e-5 });
    });
  }

  it('accepts an unbatched [H, W, C] input', () => {
    const x = ramp(5, 5).reshape([5, 5, 1]);
    const y = new SpatialMaxPooling(2, 2).ceil().forward(x) as Tensor;
    expect(y.shape).toEqual([3, 3, 1]);
    expect(Array.from(y.dataSync())).toEqual([6, 8, 9, 16, 18, 19, 21, 23, 24]);
  });

  it("prints as Torch's __tostring__", () => {
    expect(new SpatialMaxPooling(2, 2).toString()).toBe('nn.SpatialMaxPooling(2x2, 2,2)');
    expect(new SpatialMaxPooling(3, 2, 1, 2).toString()).toBe('nn.SpatialMaxPooling(3x2, 1,2)');
    expect(new SpatialMaxPooling(3, 3, 2, 2, 1, 0).toString()).toBe('nn.SpatialMaxPooling(3x3, 2,2, 1,0)');
  });

  it('rejects padding over half the kernel, as Torch', () => {
    expect(() => new SpatialMaxPooling(2, 2, 2, 2, 2, 0)).toThrow('pad should be smaller than half of kernel size');
  });

  it('names the module path in shape errors', () => {
    const net = new Sequential(new SpatialMaxPooling(2, 2), new SpatialMaxPooling(3, 3));
    expect(() => net.forward(tf.zeros([1, 4, 4, 2]))).toThrow(
      'Sequential.SpatialMaxPooling(2): expected input a padded image at least 3x3 (kH x kW), got [1,2,2,2]',
    );
    expect(() => net.forward(tf.zeros([4, 4]))).toThrow('Sequential.SpatialMaxPooling(1): expected input [N,H,W,C] or [H,W,C], got [4,4]');
  });
});
