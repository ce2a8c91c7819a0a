/**
 * What the Winograd tests share: seeded inputs, conv2d with its gradients on
 * a backend, the error of the wasm path against a reference, and the shapes
 * that exercise the kernels' edges.
 */
import { expect, test } from 'vitest';
import { tf } from '../../tf';
import type { Tensor, Tensor4D } from '../../tf';
import { SpatialConvolution } from '../../nn/SpatialConvolution';
import { maxAbsDiff } from '../../nn/testing';
import { setWinograd, winogradCalls, type WinogradMode } from './winograd';

let seed = 2024;
export function rand(n: number, scale = 1, relu = false): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const v = (seed / 2147483648 - 0.5) * 2 * scale;
    a[i] = relu ? Math.max(0, v) : v;
  }
  return a;
}

export type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
export interface Case {
  x: [number, number, number, number];
  k?: number;
  stride?: number;
  pad?: Pad;
}

/** conv2d output and its input and filter gradients (under a fixed cotangent) on `backend`. */
export async function convAndGrad(backend: string, c: Case, x: Float32Array, f: Float32Array): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const cin = c.x[3];
  const k = c.k ?? 3;
  return tf.tidy(() => {
    const xt = tf.tensor(x, c.x) as Tensor4D;
    const ft = tf.tensor(f, [k, k, cin, f.length / (k * k * cin)]) as Tensor4D;
    const conv = (t: Tensor, g: Tensor) => tf.conv2d(t as Tensor4D, g as Tensor4D, c.stride ?? 1, c.pad ?? 'same');
    const y = conv(xt, ft);
    const r = tf.sin(tf.range(0, y.size)).reshape(y.shape);
    const [dx, df] = tf.grads((t: Tensor, g: Tensor) => conv(t, g).mul(r).sum())([xt, ft]);
    return [y, dx, df].map((t) => t.dataSync() as Float32Array);
  });
}

/**
 * Max |wasm − reference| of output, input gradient and filter gradient, each
 * relative to the reference's largest magnitude. The reference is the cpu
 * backend, or (`vsXnnpack`, for shapes too big for it) wasm's XNNPACK path.
 */
export async function relErrors(c: Case, cout: number, mode: WinogradMode, scale = 1, vsXnnpack = false): Promise<number[]> {
  const [n, h, w, cin] = c.x;
  const k = c.k ?? 3;
  const x = rand(n * h * w * cin, 1, true);
  const f = rand(k * k * cin * cout, scale);
  setWinograd('off');
  const ref = await convAndGrad(vsXnnpack ? 'wasm' : 'cpu', c, x, f);
  setWinograd(mode);
  const got = await convAndGrad('wasm', c, x, f);
  return got.map((g, i) => maxAbsDiff(g, ref[i]) / ref[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0));
}

/** n, h, w, cin, cout */
export const SHAPES: [number, number, number, number, number][] = [
  [1, 4, 4, 4, 8],
  [2, 5, 7, 3, 5],
  [1, 9, 11, 17, 13],
  [3, 6, 6, 8, 16],
  [1, 1, 1, 5, 9],
  [2, 13, 10, 20, 9],
  [1, 30, 30, 8, 8], // more tiles than one block
  [2, 40, 30, 5, 6], // F(4×4) too: 160 tiles, the last block partly filled
  [2, 3, 50, 9, 12],
];

/** Tests, for both tile sizes and every shape of SHAPES: output, input and filter gradients within 1e-4 of the cpu backend, on Winograd. */
export function testShapesAgainstCpu(): void {
  for (const mode of ['f2', 'f4'] as const)
    for (const [n, h, w, cin, cout] of SHAPES)
      test(`${mode} [${n},${h},${w},${cin}] → ${cout}: forward, input and filter gradients`, async () => {
        const grad = mode === 'f2' ? 'filterGradF2' : 'filterGradF4';
        const before = [winogradCalls[mode], winogradCalls[grad]];
        const [ey, edx, edw] = await relErrors({ x: [n, h, w, cin] }, cout, mode);
        expect(ey).toBeLessThan(1e-4);
        expect(edx).toBeLessThan(1e-4);
        expect(edw).toBeLessThan(1e-4);
        // Two forwards (y, and tf.grads' own) and the input gradient (a 3×3 conv of dy) took Winograd, and the filter gradient.
        expect([winogradCalls[mode] - before[0], winogradCalls[grad] - before[1]]).toEqual([3, 1]);
      });
}

/**
 * Three training steps (forward, backward) of a 16→24 SpatialConvolution on
 * x of `xShape`, forced to F(4×4), after one warm-up: returns how much
 * `counter()` grew and the tensors and bytes gained (both 0 without leaks).
 */
export function trainingSteps(xShape: [number, number, number, number], counter: () => number): { counted: number; tensors: number; bytes: number } {
  setWinograd('f4');
  const conv = new SpatialConvolution(16, 24, 3, 3, 1, 1, 1, 1);
  const x = tf.tensor(rand(xShape.reduce((a, b) => a * b)), xShape);
  const step = () => {
    const y = conv.forward(x) as Tensor;
    const g = tf.onesLike(y);
    conv.backward(x, g);
    g.dispose();
  };
  step();
  const before = tf.memory();
  const c0 = counter();
  for (let i = 0; i < 3; i++) step();
  const after = tf.memory();
  const r = { counted: counter() - c0, tensors: after.numTensors - before.numTensors, bytes: after.numBytes - before.numBytes };
  x.dispose();
  conv.dispose();
  return r;
}
