import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { Sequential } from './Sequential';
import { SpatialAveragePooling } from './SpatialAveragePooling';
import { expectClose } from './testing';

/** [1, h, w, 1] holding 1, 2, 3, … row by row. */
const ramp = (h: number, w: number) => tf.range(1, h * w + 1).reshape([1, h, w, 1]);
const plane = (t: Tensor) => (t.arraySync() as number[][][][])[0].map((r) => r.map((v) => v[0]));

/** PyTorch's output size (aten pooling_output_shape). */
function outSize(size: number, k: number, d: number, p: number, ceil: boolean): number {
  let o = Math.floor((size + 2 * p - k + (ceil ? d - 1 : 0)) / d) + 1;
  if (ceil && (o - 1) * d >= size + p) o--;
  return o;
}

/**
 * PyTorch's AvgPool2d written as selection matrices: for each kernel offset,
 * pick the input pixel (zero in the padding); divide the sum by the number of
 * window positions inside the padded input (count_include_pad) or inside the input.
 */
function selectAvgPool(x: Tensor, [kW, kH, dW, dH, padW, padH]: number[], ceil: boolean, includePad: boolean): Tensor {
  const [n, h, w, c] = x.shape;
  const oH = outSize(h, kH, dH, padH, ceil);
  const oW = outSize(w, kW, dW, padW, ceil);
  const flat = x.reshape([n, h * w, c]);
  const count = tf.buffer([oH * oW, 1]);
  const terms: Tensor[] = [];
  for (let ky = 0; ky < kH; ky++)
    for (let kx = 0; kx < kW; kx++) {
      const sel = tf.buffer([oH * oW, h * w]);
      for (let oy = 0; oy < oH; oy++)
        for (let ox = 0; ox < oW; ox++) {
          const yy = oy * dH - padH + ky;
          const xx = ox * dW - padW + kx;
          const inInput = yy >= 0 && yy < h && xx >= 0 && xx < w;
          const inPadded = yy < h + padH && xx < w + padW;
          if (inInput) sel.set(1, oy * oW + ox, yy * w + xx);
          if (includePad ? inPadded : inInput) count.set(count.get(oy * oW + ox, 0) + 1, oy * oW + ox, 0);
        }
      terms.push(tf.matMul(tf.tile(sel.toTensor().expandDims(0), [n, 1, 1]), flat));
    }
  return tf.addN(terms).div(count.toTensor()).reshape([n, oH, oW, c]);
}

describe('SpatialAveragePooling', () => {
  it("has Torch's defaults: stride 1, floor, count_include_pad", () => {
    const m = new SpatialAveragePooling(3, 2);
    expect([m.dW, m.dH, m.padW, m.padH, m.ceilMode, m.countIncludePad]).toEqual([1, 1, 0, 0, false, true]);
    expect((m.forward(tf.zeros([1, 5, 5, 1])) as Tensor).shape).toEqual([1, 4, 3, 1]);
  });

  it('divides a clipped ceil-mode window by its clipped size (hand-computed, as PyTorch)', () => {
    // AvgPool2d(2, 2, ceil_mode=True) on [[1,2,3],[4,5,6],[7,8,9]] = [[3, 4.5], [7.5, 9]]
    const y = new SpatialAveragePooling(2, 2, 2, 2).ceil().forward(ramp(3, 3)) as Tensor;
    expectClose(
      plane(y),
      [
        [3, 4.5],
        [7.5, 9],
      ],
      { atol: 5e-6 },
    ); // toBeCloseTo(·, 5)'s bound, as the scalar checks below
  });

  it('counts or excludes zero padding in the divisor (hand-computed)', () => {
    const x = ramp(3, 3);
    const m = new SpatialAveragePooling(3, 3, 2, 2, 1, 1);
    // Windows see [1,2,4,5], [2,3,5,6], [4,5,7,8], [5,6,8,9].
    expectClose(
      plane(m.forward(x) as Tensor),
      [
        [12 / 9, 16 / 9],
        [24 / 9, 28 / 9],
      ],
      { atol: 5e-6 },
    );
    m.setCountExcludePad();
    expectClose(
      plane(m.forward(x) as Tensor),
      [
        [3, 4],
        [6, 7],
      ],
      { atol: 5e-6 },
    );
    m.setCountIncludePad();
    expectClose(
      plane(m.forward(x) as Tensor),
      [
        [12 / 9, 16 / 9],
        [24 / 9, 28 / 9],
      ],
      { atol: 5e-6 },
    );
  });

  it('clips the divisor at the padded edge in ceil mode (hand-computed)', () => {
    // 4x4 ramp, kernel 3, stride 2, pad 1, ceil: 3x3 windows; the last one covers
    // padded rows/cols 3..4 only, i.e. input pixel 16 and one pad row/col.
    const m = new SpatialAveragePooling(3, 3, 2, 2, 1, 1).ceil();
    const y = plane(m.forward(ramp(4, 4)) as Tensor);
    expect(y.length).toBe(3);
    expect(y[2][2]).toBeCloseTo(16 / 4, 5);
    expect(y[0][0]).toBeCloseTo((1 + 2 + 5 + 6) / 9, 5);
    m.setCountExcludePad();
    const z = plane(m.forward(ramp(4, 4)) as Tensor);
    expect(z[2][2]).toBeCloseTo(16, 5);
    expect(z[0][0]).toBeCloseTo((1 + 2 + 5 + 6) / 4, 5);
    expect(z[2][0]).toBeCloseTo((13 + 14) / 2, 5);
  });

  const configs: { args: number[]; ceil: boolean; input: number[] }[] = [
    { args: [2, 2, 2, 2, 0, 0], ceil: false, input: [2, 5, 7, 3] },
    { args: [2, 2, 2, 2, 0, 0], ceil: true, input: [2, 5, 7, 3] },
    { args: [3, 2, 2, 1, 1, 0], ceil: true, input: [2, 6, 7, 2] },
    { args: [3, 3, 2, 2, 1, 1], ceil: true, input: [1, 6, 6, 2] },
    { args: [3, 3, 3, 3, 1, 1], ceil: true, input: [1, 5, 5, 1] },
    { args: [2, 3, 1, 2, 1, 1], ceil: false, input: [2, 5, 4, 1] },
  ];
  for (const { args, ceil, input } of configs)
    for (const includePad of [true, false]) {
      const name = `${args.join(',')}${ceil ? ', ceil' : ''}, ${includePad ? 'include' : 'exclude'} pad`;
      it(`matches tf autodiff of a selection-matrix average in forward and backward (${name})`, () => {
        const [kW, kH, dW, dH, padW, padH] = args;
        const m = new SpatialAveragePooling(kW, kH, dW, dH, padW, padH);
        if (ceil) m.ceil();
        if (!includePad) m.setCountExcludePad();
        const x = tf.randomNormal(input, 0, 1, 'float32', 21);
        const y = m.forward(x) as Tensor;
        const ref = selectAvgPool(x, args, ceil, includePad);
        expect(y.shape).toEqual(ref.shape);
        expectClose(y, ref, { atol: 1e-5 });
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 22);
        const gx = m.backward(x, dy) as Tensor;
        const [rx] = tf.grads((xx: Tensor) => selectAvgPool(xx, args, ceil, includePad))([x], dy);
        expectClose(gx, rx, { atol: 1e-5 });
      });
    }

  it('accepts an unbatched [H, W, C] input', () => {
    const y = new SpatialAveragePooling(2, 2, 2, 2).ceil().forward(ramp(3, 3).reshape([3, 3, 1])) as Tensor;
    expect(y.shape).toEqual([2, 2, 1]);
    expect(Array.from(y.dataSync())).toEqual([3, 4.5, 7.5, 9]);
  });

  it("prints as Torch's __tostring__", () => {
    expect(new SpatialAveragePooling(2, 2, 2, 2).toString()).toBe('nn.SpatialAveragePooling(2x2, 2,2)');
    expect(new SpatialAveragePooling(3, 2).toString()).toBe('nn.SpatialAveragePooling(3x2, 1,1)');
    expect(new SpatialAveragePooling(3, 3, 1, 1, 1, 1).toString()).toBe('nn.SpatialAveragePooling(3x3, 1,1, 1,1)');
  });

  it('names the module path in shape errors', () => {
    const net = new Sequential(new Sequential(new SpatialAveragePooling(4, 4)));
    expect(() => net.forward(tf.zeros([1, 3, 5, 1]))).toThrow(
      'Sequential.Sequential(1).SpatialAveragePooling(1): expected input a padded image at least 4x4 (kH x kW), got [1,3,5,1]',
    );
  });
});
