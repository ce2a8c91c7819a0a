/**
 * `BatchNormTrainGrad` for wasm: both parameter gradients in one pass (float64
 * sums), dx in a second, in wasm SIMD where the channels come in fours
 * (channelKernels.ts), else in JavaScript over the wasm heap (see
 * BatchNormTrain.ts for why not composed stock ops).
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { BatchNormTrainGrad } from '../kernelNames';
import { channelKernels } from './channelKernels';
import { addGradSums, batchNormInputGrad } from './channelLoops';
import { type BackendWasm, f32 } from './kernel_utils';

function batchNormTrainGrad(args: {
  inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; invstd: TensorInfo; weight: TensorInfo };
  backend: BackendWasm;
}): TensorInfo[] {
  const { dy, x, mean, invstd, weight } = args.inputs;
  const { backend } = args;
  const c = x.shape[x.shape.length - 1];
  const size = util.sizeFromShape(x.shape);
  const m = size / c;
  util.assert(util.arraysEqual(dy.shape, x.shape), () => `BatchNormTrainGrad: dy [${dy.shape}] must have x's shape [${x.shape}]`);
  const dxOut = backend.makeOutput(x.shape, 'float32');
  const dwOut = backend.makeOutput([c], 'float32');
  const dbOut = backend.makeOutput([c], 'float32');
  const simd = channelKernels(backend, c);
  const mu = Float32Array.from(f32(backend, mean));
  const db = new Float64Array(c);
  const dw = new Float64Array(c);
  if (simd) simd.gradSums(dy, x, mu, db, dw);
  else addGradSums(f32(backend, dy), f32(backend, x), c, mu, db, dw);
  // dweight = Σ dy·x̂ = invstd·Σ dy·(x − mean); dx = k·(dy − (x − mean)·s) − k·db/M.
  const k = new Float32Array(c);
  const a = new Float32Array(c);
  const s = new Float32Array(c);
  // Views after the last allocation (growing the heap, as the SIMD loops' scratch may, detaches older ones).
  const inv = f32(backend, invstd);
  const w = f32(backend, weight);
  const dwV = f32(backend, dwOut);
  const dbV = f32(backend, dbOut);
  for (let j = 0; j < c; j++) {
    dw[j] *= inv[j];
    dwV[j] = dw[j];
    dbV[j] = db[j];
    k[j] = w[j] * inv[j];
    a[j] = (-k[j] * db[j]) / m;
    s[j] = (dw[j] * inv[j]) / m;
  }
  if (simd) simd.inputGrad(dy, x, dxOut, mu, k, a, s);
  else batchNormInputGrad(f32(backend, dy), f32(backend, x), f32(backend, dxOut), c, mu, k, a, s);
  return [dxOut, dwOut, dbOut];
}

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BatchNormTrainGrad,
  backendName: 'wasm',
  kernelFunc: batchNormTrainGrad as unknown as KernelFunc,
};
