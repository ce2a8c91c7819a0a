/**
 * `BatchNormTrainGrad` for wasm: both parameter gradients in one float64
 * pass, dx in a second, in JavaScript over the wasm heap (see
 * BatchNormTrain.ts for why not composed stock ops).
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { BatchNormTrainGrad } from '../kernelNames';
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
  const g = f32(backend, dy);
  const xs = f32(backend, x);
  const mu = f32(backend, mean);
  const inv = f32(backend, invstd);
  const w = f32(backend, weight);
  const dx = f32(backend, dxOut);

  const db = new Float64Array(c);
  const dw = new Float64Array(c);
  addGradSums(g, xs, c, mu, db, dw);
  // dweight = Σ dy·x̂ = invstd·Σ dy·(x − mean); dx = k·(dy − (x − mean)·s) − k·db/M.
  const k = new Float32Array(c);
  const a = new Float32Array(c);
  const s = new Float32Array(c);
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
  batchNormInputGrad(g, xs, dx, c, mu, k, a, s);
  return [dxOut, dwOut, dbOut];
}

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BatchNormTrainGrad,
  backendName: 'wasm',
  kernelFunc: batchNormTrainGrad as unknown as KernelFunc,
};
