/**
 * `BatchNormTrain` for wasm: the batch statistics in two float64 passes
 * (mean, then squared deviations) and y = x·scale + shift in a third, in
 * wasm SIMD where the channels come in fours (channelKernels.ts), else in
 * JavaScript over the wasm heap (channelLoops.ts). Composed from stock ops the same thing is
 * a transpose-free mean, a broadcast subtract, square and mean, then a
 * broadcast multiply and add: each a full pass, and the broadcast ones slow
 * on wasm (docs/backends.md).
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { BatchNormTrain, type BatchNormTrainAttrs } from '../kernelNames';
import { channelKernels } from './channelKernels';
import { addChannelSums, addSquaredDeviations, channelAffine } from './channelLoops';
import { type BackendWasm, f32 } from './kernel_utils';

function batchNormTrain(args: {
  inputs: { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  backend: BackendWasm;
  attrs: BatchNormTrainAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, weight, bias } = inputs;
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const m = size / c;
  util.assert(weight.shape.length === 1 && weight.shape[0] === c && bias.shape[0] === c, () => `BatchNormTrain: weight and bias must be [${c}]`);
  const y = backend.makeOutput(x.shape, 'float32');
  const meanOut = backend.makeOutput([c], 'float32');
  const varOut = backend.makeOutput([c], 'float32');
  const invOut = backend.makeOutput([c], 'float32');
  const simd = channelKernels(backend, c);
  const sums = new Float64Array(c);
  if (simd) simd.sums(x, sums);
  else addChannelSums(f32(backend, x), c, sums);
  const mean = sums.map((v) => v / m);
  const squares = new Float64Array(c);
  if (simd) simd.squaredDeviations(x, Float32Array.from(mean), squares);
  else addSquaredDeviations(f32(backend, x), c, mean, squares);
  const scale = new Float32Array(c);
  const shift = new Float32Array(c);
  // Views after the last allocation (growing the heap, as the SIMD loops' scratch may, detaches older ones).
  const w = f32(backend, weight);
  const b = f32(backend, bias);
  const meanV = f32(backend, meanOut);
  const varV = f32(backend, varOut);
  const invV = f32(backend, invOut);
  for (let j = 0; j < c; j++) {
    const variance = squares[j] / m;
    const inv = 1 / Math.sqrt(variance + attrs.eps);
    meanV[j] = mean[j];
    varV[j] = variance;
    invV[j] = inv;
    scale[j] = w[j] * inv;
    shift[j] = b[j] - mean[j] * w[j] * inv;
  }
  if (simd) simd.affine(x, y, scale, shift);
  else channelAffine(f32(backend, x), f32(backend, y), c, scale, shift);
  return [y, meanOut, varOut, invOut];
}

export const batchNormTrainConfig: KernelConfig = {
  kernelName: BatchNormTrain,
  backendName: 'wasm',
  kernelFunc: batchNormTrain as unknown as KernelFunc,
};
