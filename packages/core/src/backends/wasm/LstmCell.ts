/**
 * `LstmCell` for wasm: one LSTM step in one pass, in wasm SIMD (lstm.c) where
 * the module is instantiated and H is a multiple of 4, else in JavaScript over
 * the heap. Composed of tfjs ops a step is some fifteen kernels, each a call
 * over N·H values (docs/results.md, "The `ctc` reader's LSTM").
 */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { LstmCell } from '../kernelNames';
import { type BackendWasm, f32 } from './kernel_utils';
import { moduleExports, offsetOf } from './winograd';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The same step in JavaScript (lstm.c's `lstm_cell`). */
export function lstmCellLoop(pre: Float32Array, cPrev: Float32Array, n: number, h: number, hOut: Float32Array, cOut: Float32Array, gates: Float32Array): void {
  for (let row = 0; row < n; row++) {
    for (let k = 0; k < h; k++) {
      const a = row * 4 * h + k;
      const at = row * h + k;
      const s = row * 5 * h + k;
      const i = sigmoid(pre[a]!);
      const f = sigmoid(pre[a + h]!);
      const g = Math.tanh(pre[a + 2 * h]!);
      const o = sigmoid(pre[a + 3 * h]!);
      const c = Math.fround(f * cPrev[at]!) + Math.fround(i * g);
      const tc = Math.tanh(c);
      cOut[at] = c;
      hOut[at] = o * tc;
      gates[s] = i;
      gates[s + h] = f;
      gates[s + 2 * h] = g;
      gates[s + 3 * h] = o;
      gates[s + 4 * h] = tc;
    }
  }
}

function lstmCell(args: { inputs: { pre: TensorInfo; c: TensorInfo }; backend: BackendWasm }): TensorInfo[] {
  const { inputs, backend } = args;
  const { pre, c } = inputs;
  const [n, h] = c.shape as [number, number];
  util.assert(
    c.shape.length === 2 && util.arraysEqual(pre.shape, [n, 4 * h]) && pre.dtype === 'float32' && c.dtype === 'float32',
    () => `LstmCell: expected float32 pre [N, 4H] and c [N, H], got [${pre.shape}] ${pre.dtype} and [${c.shape}] ${c.dtype}`,
  );
  const hOut = backend.makeOutput([n, h], 'float32');
  const cOut = backend.makeOutput([n, h], 'float32');
  const gates = backend.makeOutput([n, 5 * h], 'float32');
  const simd = moduleExports(backend);
  if (simd && h % 4 === 0) {
    const at = (t: TensorInfo) => offsetOf(backend, t);
    simd.lstm_cell(at(pre), at(c), n, h, at(hOut), at(cOut), at(gates));
  } else {
    // Views after the last allocation (growing the heap detaches older ones).
    lstmCellLoop(f32(backend, pre), f32(backend, c), n, h, f32(backend, hOut), f32(backend, cOut), f32(backend, gates));
  }
  return [hOut, cOut, gates];
}

export const lstmCellConfig: KernelConfig = {
  kernelName: LstmCell,
  backendName: 'wasm',
  kernelFunc: lstmCell as unknown as KernelFunc,
};
