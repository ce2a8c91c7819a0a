/**
 * `AdamUpdate` for wasm: one pass in wasm SIMD (channels.c) where the module
 * is instantiated, else in JavaScript over the heap. Composed from stock ops
 * the same step is ten kernels per parameter; the optimizer runs them on the
 * main thread while data-parallel workers wait (8 ms a step for the compact
 * CNN+RNN's 1.4 million parameters). A scalar JavaScript loop was no faster
 * than those ops (its √ and ÷ are not vectorised), so SIMD is the point.
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { AdamUpdate, type AdamUpdateAttrs } from '../kernelNames';
import { type BackendWasm, f32 } from './kernel_utils';
import { moduleExports, offsetOf } from './winograd';

/** The same step in JavaScript, for when the SIMD module is not instantiated (a browser's first calls). */
export function adamLoop(
  from: { x: Float32Array; m: Float32Array; v: Float32Array; g: Float32Array },
  to: { x: Float32Array; m: Float32Array; v: Float32Array },
  { beta1, beta2, epsilon, stepSize }: AdamUpdateAttrs,
): void {
  const [b1, a1, b2, a2, eps, step] = [beta1, 1 - beta1, beta2, 1 - beta2, epsilon, stepSize].map(Math.fround);
  const { x, m, v, g } = from;
  for (let i = 0; i < x.length; i++) {
    // Read back from the float32 outputs, so that x' uses m' and v' as rounded.
    to.m[i] = m[i]! * b1! + g[i]! * a1!;
    to.v[i] = v[i]! * b2! + g[i]! * g[i]! * a2!;
    to.x[i] = x[i]! - (to.m[i]! / (Math.sqrt(to.v[i]!) + eps!)) * step!;
  }
}

function adamUpdate(args: {
  inputs: { x: TensorInfo; m: TensorInfo; v: TensorInfo; g: TensorInfo };
  backend: BackendWasm;
  attrs: AdamUpdateAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, m, v, g } = inputs;
  for (const t of [x, m, v, g])
    util.assert(
      util.arraysEqual(t.shape, x.shape) && t.dtype === 'float32',
      () => `AdamUpdate: x, m, v and g must be float32 of one shape, got [${t.shape}] ${t.dtype}`,
    );
  const [xo, mo, vo] = [0, 1, 2].map(() => backend.makeOutput(x.shape, 'float32'));
  const { beta1, beta2, epsilon, stepSize } = attrs;
  const n = util.sizeFromShape(x.shape);
  const simd = moduleExports(backend);
  if (simd) {
    const at = (t: TensorInfo) => offsetOf(backend, t);
    simd.adam_update(at(x), at(m), at(v), at(g), n, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, stepSize, at(xo!), at(mo!), at(vo!));
    return [xo!, mo!, vo!];
  }
  // Views after the last allocation (growing the heap detaches older ones).
  const [xs, ms, vs, gs, xd, md, vd] = [x, m, v, g, xo!, mo!, vo!].map((t) => f32(backend, t));
  adamLoop({ x: xs!, m: ms!, v: vs!, g: gs! }, { x: xd!, m: md!, v: vd! }, attrs);
  return [xo!, mo!, vo!];
}

export const adamUpdateConfig: KernelConfig = {
  kernelName: AdamUpdate,
  backendName: 'wasm',
  kernelFunc: adamUpdate as unknown as KernelFunc,
};
