/**
 * Helpers for our wasm kernels. They compose the wasm backend's own kernel
 * functions (XNNPACK `Conv2D`, `BatchMatMul`, `Transpose`...) on TensorInfos,
 * the way tfjs-core's backends compose kernels, and free every intermediate
 * with `backend.disposeData`. No tfjs op is called inside a kernel: that would
 * create engine-tracked tensors inside another kernel's bookkeeping.
 */
import { backend_util, getKernel, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tryWinograd } from './winograd';

export type { BackendWasm };

/** Stock wasm kernels we override, captured before the override. */
const stockKernels = new Map<string, KernelConfig>();

/** Remembers the stock wasm kernel `name` (once) so overrides can delegate to it. */
export function captureStock(name: string): KernelConfig | undefined {
  if (!stockKernels.has(name)) {
    const k = getKernel(name, 'wasm');
    if (k) stockKernels.set(name, k);
  }
  return stockKernels.get(name);
}

/** The stock wasm kernel `name`, whether or not we override it. */
export function stockKernel(name: string): KernelConfig {
  const k = stockKernels.get(name) ?? getKernel(name, 'wasm');
  if (!k) throw new Error(`captcha-nn: the wasm backend has no '${name}' kernel`);
  return k;
}

/** Runs the stock wasm kernel `name`. */
export function runStock(backend: BackendWasm, name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
  return stockKernel(name).kernelFunc({ inputs, attrs, backend }) as TensorInfo;
}

/** Frees intermediates (refcounted: a reshape's view only drops a reference). */
export function disposeInfos(backend: BackendWasm, ...infos: (TensorInfo | null | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}

/**
 * A Float32Array view of a tensor on the wasm heap. Take views only after the
 * last allocation of a step: growing the heap detaches older views.
 */
export function f32(backend: BackendWasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function int32(backend: BackendWasm, info: TensorInfo): Int32Array {
  return backend.typedArrayFromHeap(info) as Int32Array;
}

/** A zero-filled float32 output (makeOutput memory is uninitialised). */
export function zerosOutput(backend: BackendWasm, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  f32(backend, out).fill(0);
  return out;
}

export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runStock(backend, 'Transpose', { x }, { perm });
}

export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return runStock(backend, 'Reshape', { x }, { shape });
}

/**
 * Crops an NHWC tensor by non-negative amounts on each spatial side; returns
 * null when there is nothing to crop.
 */
export function cropHW(backend: BackendWasm, x: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo | null {
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return null;
  const [n, h, w, c] = x.shape;
  return runStock(
    backend,
    'Slice',
    { x },
    {
      begin: [0, top, left, 0],
      size: [n, h - top - bottom, w - left - right, c],
    },
  );
}

/**
 * 2-D convolution, NHWC, with per-side padding that may be negative (a
 * negative pad crops the input first): Winograd for 3×3 stride-1 pad-1 shapes
 * where winograd.ts chooses it, XNNPACK otherwise. Output size is whatever
 * the pads give; callers choose pads so that it is exact.
 */
export function conv2dExplicit(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pads: { top: number; bottom: number; left: number; right: number },
): TensorInfo {
  const fast = tryWinograd(backend, x, filter, strides, dilations, pads);
  if (fast) return fast;
  const crop = cropHW(backend, x, Math.max(0, -pads.top), Math.max(0, -pads.bottom), Math.max(0, -pads.left), Math.max(0, -pads.right));
  const pad = [
    [0, 0],
    [Math.max(0, pads.top), Math.max(0, pads.bottom)],
    [Math.max(0, pads.left), Math.max(0, pads.right)],
    [0, 0],
  ];
  const out = runStock(backend, 'Conv2D', { x: crop ?? x, filter }, {
    strides,
    pad,
    dilations,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  } as unknown as NamedAttrMap);
  disposeInfos(backend, crop);
  return out;
}

/** Swaps the last two axes. */
export function transposeLast2(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const r = x.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(backend, x, perm);
}

/** Product of all but the last two dims. */
export function batchOf(x: TensorInfo): number {
  let p = 1;
  for (let i = 0; i < x.shape.length - 2; i++) p *= x.shape[i];
  return p;
}

type Shape4 = [number, number, number, number];
type Padding = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil';

/** The geometry of a pooling-gradient kernel, from its attributes. */
export function poolInfo(inputShape: number[], attrs: Record<string, unknown>): backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: Padding;
    dimRoundingMode?: Rounding;
  };
  return backend_util.computePool2DInfo(inputShape as Shape4, filterSize, strides, 1, pad, dimRoundingMode);
}

/** The geometry of a depthwise-convolution-gradient kernel, from its attributes. */
export function depthwiseInfo(xShape: number[], filterShape: number[], attrs: Record<string, unknown>): backend_util.Conv2DInfo {
  const { strides, dilations, pad, dimRoundingMode } = attrs as {
    strides: number | [number, number];
    dilations?: number | [number, number];
    pad: Padding;
    dimRoundingMode?: Rounding;
  };
  return backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, true);
}
