import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { Sequential } from './Sequential';
import { SpatialConvolution } from './SpatialConvolution';
import { expectClose } from './testing';

/** Direct loops over a PyTorch-layout weight [out, in, kH, kW] on an NHWC input. */
function naiveConv(x: number[][][][], w: number[][][][], b: number[] | null, [dW, dH, padW, padH]: number[]): number[][][][] {
  const [n, h, wd, cin] = [x.length, x[0].length, x[0][0].length, x[0][0][0].length];
  const [cout, , kH, kW] = [w.length, w[0].length, w[0][0].length, w[0][0][0].length];
  const oH = Math.floor((h + 2 * padH - kH) / dH) + 1;
  const oW = Math.floor((wd + 2 * padW - kW) / dW) + 1;
  const out: number[][][][] = [];
  for (let i = 0; i < n; i++) {
    out.push([]);
    for (let oy = 0; oy < oH; oy++) {
      out[i].push([]);
      for (let ox = 0; ox < oW; ox++) {
        const v: number[] = [];
        for (let o = 0; o < cout; o++) {
          let s = b ? b[o] : 0;
          for (let c = 0; c < cin; c++)
            for (let ky = 0; ky < kH; ky++)
              for (let kx = 0; kx < kW; kx++) {
                const yy = oy * dH - padH + ky;
                const xx = ox * dW - padW + kx;
                if (yy >= 0 && yy < h && xx >= 0 && xx < wd) s += x[i][yy][xx][c] * w[o][c][ky][kx];
              }
          v.push(s);
        }
        out[i][oy].push(v);
      }
    }
  }
  return out;
}

/**
 * Convolution without a conv op: for each kernel offset, a 0/1 selection
 * matrix picks the strided input pixels, then an [in, out] matrix mixes planes.
 */
function selectConv(x: Tensor, wHWIO: Tensor, b: Tensor | null, [dW, dH, padW, padH]: number[]): Tensor {
  const [kH, kW, cin, cout] = wHWIO.shape;
  const [n, h, wd] = x.shape;
  const [hp, wp] = [h + 2 * padH, wd + 2 * padW];
  const oH = Math.floor((hp - kH) / dH) + 1;
  const oW = Math.floor((wp - kW) / dW) + 1;
  const xp = tf
    .pad(x, [
      [0, 0],
      [padH, padH],
      [padW, padW],
      [0, 0],
    ])
    .reshape([n, hp * wp, cin]);
  const terms: Tensor[] = [];
  for (let ky = 0; ky < kH; ky++)
    for (let kx = 0; kx < kW; kx++) {
      const sel = tf.buffer([oH * oW, hp * wp]);
      for (let oy = 0; oy < oH; oy++) for (let ox = 0; ox < oW; ox++) sel.set(1, oy * oW + ox, (oy * dH + ky) * wp + ox * dW + kx);
      const patch = tf.matMul(tf.tile(sel.toTensor().expandDims(0), [n, 1, 1]), xp); // [n, oH*oW, cin]
      const wk = tf.slice(wHWIO, [ky, kx, 0, 0], [1, 1, cin, cout]).reshape([cin, cout]);
      terms.push(patch.reshape([-1, cin]).matMul(wk).reshape([n, oH, oW, cout]));
    }
  const y = tf.addN(terms);
  return b ? y.add(b) : y;
}

describe('SpatialConvolution', () => {
  const cases: { name: string; args: number[]; input: number[] }[] = [
    { name: '3x3, stride 1, pad 1', args: [2, 3, 3, 3, 1, 1, 1, 1], input: [2, 5, 5, 2] },
    { name: '3x2 (kW x kH), stride 2,1, pad 1,0, odd sizes', args: [2, 4, 3, 2, 2, 1, 1, 0], input: [2, 5, 6, 2] },
    { name: '2x2 stride 2 no pad', args: [3, 2, 2, 2, 2, 2], input: [1, 5, 4, 3] },
  ];

  for (const c of cases) {
    it(`matches direct loops in forward (${c.name})`, () => {
      manualSeed(7);
      const [nIn, nOut, kW, kH, dW = 1, dH = 1, padW = 0, padH = 0] = c.args;
      const m = new SpatialConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH);
      const x = tf.randomNormal(c.input, 0, 1, 'float32', 11);
      const y = m.forward(x) as Tensor;
      const sd = m.stateDict();
      const ref = naiveConv(x.arraySync() as number[][][][], sd.weight.arraySync() as number[][][][], sd.bias.arraySync() as number[], [dW, dH, padW, padH]);
      expect(y.shape).toEqual([c.input[0], ref[0].length, ref[0][0].length, nOut]);
      expectClose(y, tf.tensor(ref), { atol: 1e-4 });
      Object.values(sd).forEach((t) => t.dispose());
      x.dispose();
      m.dispose();
    });

    it(`matches tf autodiff of a selection-matrix convolution in backward (${c.name})`, () => {
      manualSeed(8);
      const [nIn, nOut, kW, kH, dW = 1, dH = 1, padW = 0, padH = 0] = c.args;
      const m = new SpatialConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH);
      const x = tf.randomNormal(c.input, 0, 1, 'float32', 12);
      const y = m.forward(x) as Tensor;
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 13);
      m.zeroGradParameters();
      const gx = m.backward(x, dy) as Tensor;
      const f = (xx: Tensor, w: Tensor, b: Tensor) => selectConv(xx, w, b, [dW, dH, padW, padH]);
      const [rx, rw, rb] = tf.grads(f)([x, m.weight, m.bias!], dy);
      expectClose(y, f(x, m.weight, m.bias!), { atol: 1e-4 });
      expectClose(gx, rx, { atol: 1e-4 });
      expectClose(m.gradWeight, rw, { atol: 1e-4 });
      expectClose(m.gradBias!, rb, { atol: 1e-4 });
      // The gradient state dict is in PyTorch layout.
      const g = m.gradStateDict();
      expect(g.weight.shape).toEqual([nOut, nIn, kH, kW]);
      expectClose(g.weight, rw.transpose([3, 2, 0, 1]), { atol: 1e-4 });
    });
  }

  it('accepts an unbatched [H, W, C] input', () => {
    manualSeed(3);
    const m = new SpatialConvolution(2, 3, 3, 3, 1, 1, 1, 1);
    const x = tf.randomNormal([4, 5, 2], 0, 1, 'float32', 1);
    const y = m.forward(x) as Tensor;
    expect(y.shape).toEqual([4, 5, 3]);
    const yb = tf.conv2d(x.expandDims(0) as Tensor4D, m.weight as Tensor4D, 1, 'same').add(m.bias!);
    expectClose(y, yb.squeeze([0]), { atol: 1e-5 });
    const gx = m.updateGradInput(x, tf.onesLike(y)) as Tensor;
    expect(gx.shape).toEqual([4, 5, 2]);
  });

  it('noBias() drops the bias from forward, parameters and state dict', () => {
    manualSeed(4);
    const m = new SpatialConvolution(1, 2, 2, 2).noBias();
    expect(m.bias).toBeUndefined();
    expect(m.parameters()[0].length).toBe(1);
    expect(Object.keys(m.stateDict())).toEqual(['weight']);
    const x = tf.randomNormal([1, 3, 3, 1], 0, 1, 'float32', 2);
    const y = m.forward(x) as Tensor;
    const sd = m.stateDict();
    const ref = naiveConv(x.arraySync() as number[][][][], sd.weight.arraySync() as number[][][][], null, [1, 1, 0, 0]);
    expectClose(y, tf.tensor(ref), { atol: 1e-5 });
    expect(m.toString()).toBe('nn.SpatialConvolution(1 -> 2, 2x2) without bias');
  });

  it("initialises uniformly within ±1/sqrt(kW*kH*nIn), as Torch's reset()", () => {
    manualSeed(5);
    const m = new SpatialConvolution(4, 16, 3, 5);
    const s = 1 / Math.sqrt(3 * 5 * 4);
    const w = m.weight.dataSync();
    const b = m.bias!.dataSync();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(s);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * s);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(s);
    // Same seed, same weights; reset(stdv) uses stdv*sqrt(3).
    manualSeed(5);
    const m2 = new SpatialConvolution(4, 16, 3, 5);
    expectClose(m.weight, m2.weight, { atol: 0 });
    m2.reset(0.1);
    expect(Math.max(...m2.weight.dataSync().map(Math.abs))).toBeLessThanOrEqual(0.1 * Math.sqrt(3));
    expect(Math.max(...m2.weight.dataSync().map(Math.abs))).toBeGreaterThan(s);
  });

  it('round-trips a PyTorch-layout state dict [out, in, kH, kW]', () => {
    const m = new SpatialConvolution(2, 3, 3, 2); // kW = 3, kH = 2
    expect(m.weight.shape).toEqual([2, 3, 2, 3]); // HWIO
    expect(m.stateShapes().get('weight')).toEqual([3, 2, 2, 3]);
    // weight[o][i][y][x] = 1000o + 100i + 10y + x, so positions are recognisable.
    const vals: number[] = [];
    for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) vals.push(1000 * o + 100 * i + 10 * y + x);
    const w = tf.tensor(vals, [3, 2, 2, 3]);
    m.loadStateDict({ weight: w, bias: tf.tensor1d([1, 2, 3]) });
    // HWIO entry [y, x, i, o]
    expect((m.weight.arraySync() as number[][][][])[1][2][1][2]).toBe(2000 + 100 + 10 + 2);
    const back = m.stateDict();
    expect(back.weight.arraySync()).toEqual(w.arraySync());
    // A single pixel picks out the weights: input 2x3 with one hot at (1,2) in plane 1.
    m.loadStateDict({ weight: w, bias: tf.zeros([3]) });
    const x = tf.buffer([1, 2, 3, 2]);
    x.set(1, 0, 1, 2, 1);
    const y = m.forward(x.toTensor()) as Tensor;
    expect(Array.from(y.dataSync())).toEqual([112, 1112, 2112]);
  });

  it("prints as Torch's __tostring__", () => {
    expect(new SpatialConvolution(1, 64, 3, 3, 1, 1, 1, 1).toString()).toBe('nn.SpatialConvolution(1 -> 64, 3x3, 1,1, 1,1)');
    expect(new SpatialConvolution(3, 8, 5, 3).toString()).toBe('nn.SpatialConvolution(3 -> 8, 5x3)');
    expect(new SpatialConvolution(3, 8, 5, 3, 2, 1).toString()).toBe('nn.SpatialConvolution(3 -> 8, 5x3, 2,1)');
    // padH defaults to padW, as in Torch
    expect(new SpatialConvolution(3, 8, 3, 3, 1, 1, 2).toString()).toBe('nn.SpatialConvolution(3 -> 8, 3x3, 1,1, 2,2)');
    expect(new SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 0).toString()).toBe('nn.SpatialConvolution(3 -> 8, 3x3, 1,1, 1,0)');
  });

  it('names the module path in shape errors', () => {
    const net = new Sequential(new SpatialConvolution(3, 4, 3, 3), new Sequential(new SpatialConvolution(5, 2, 3, 3)));
    expect(() => net.forward(tf.zeros([1, 6, 6, 3]))).toThrow(
      'Sequential.Sequential(2).SpatialConvolution(1): expected input [N,H,W,5] or [H,W,5], got [1,4,4,4]',
    );
    const small = new Sequential(new SpatialConvolution(1, 1, 3, 3, 1, 1, 0, 0));
    expect(() => small.forward(tf.zeros([1, 2, 5, 1]))).toThrow('Sequential.SpatialConvolution(1): expected input a padded image');
  });

  it('trains in a Sequential with a flat tensor count', () => {
    manualSeed(9);
    const net = new Sequential(new SpatialConvolution(1, 2, 3, 3, 1, 1, 1, 1));
    const x = tf.randomNormal([2, 3, 3, 1], 0, 1, 'float32', 5);
    const step = () => {
      const y = net.forward(x) as Tensor;
      const dy = tf.onesLike(y);
      net.zeroGradParameters();
      net.backward(x, dy);
      net.updateParameters(0.01);
      dy.dispose();
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
