/** `LstmCellGrad` for wasm: LstmCell's backward in one pass, in wasm SIMD (lstm.c) or JavaScript, as LstmCell.ts. */
import { type KernelConfig, type KernelFunc, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { LstmCellGrad } from '../kernelNames';
import { type BackendWasm, f32 } from './kernel_utils';
import { moduleExports, offsetOf } from './winograd';

/** The same backward in JavaScript (lstm.c's `lstm_cell_grad`), in kernels.ts's lstmBackward's order of operations. */
export function lstmCellGradLoop(
  gates: Float32Array,
  cPrev: Float32Array,
  dh: Float32Array,
  dcNext: Float32Array | null,
  n: number,
  h: number,
  dpre: Float32Array,
  dcPrev: Float32Array,
): void {
  const m = Math.fround;
  for (let row = 0; row < n; row++) {
    for (let k = 0; k < h; k++) {
      const at = row * h + k;
      const s = row * 5 * h + k;
      const d = row * 4 * h + k;
      const [i, f, g, o, tc] = [gates[s]!, gates[s + h]!, gates[s + 2 * h]!, gates[s + 3 * h]!, gates[s + 4 * h]!];
      const dhv = dh[at]!;
      let dc = m(m(dhv * o) * m(1 - m(tc * tc)));
      if (dcNext) dc = m(dc + dcNext[at]!);
      dpre[d] = m(m(m(dc * g) * i) * m(1 - i));
      dpre[d + h] = m(m(m(dc * cPrev[at]!) * f) * m(1 - f));
      dpre[d + 2 * h] = m(m(dc * i) * m(1 - m(g * g)));
      dpre[d + 3 * h] = m(m(m(dhv * tc) * o) * m(1 - o));
      dcPrev[at] = dc * f;
    }
  }
}

function lstmCellGrad(args: { inputs: { gates: TensorInfo; cPrev: TensorInfo; dh: TensorInfo; dc?: TensorInfo }; backend: BackendWasm }): TensorInfo[] {
  const { inputs, backend } = args;
  const { gates, cPrev, dh, dc } = inputs;
  const [n, h] = cPrev.shape as [number, number];
  const all = [gates, cPrev, dh, ...(dc ? [dc] : [])];
  util.assert(
    cPrev.shape.length === 2 &&
      util.arraysEqual(gates.shape, [n, 5 * h]) &&
      util.arraysEqual(dh.shape, [n, h]) &&
      (!dc || util.arraysEqual(dc.shape, [n, h])) &&
      all.every((t) => t.dtype === 'float32'),
    () => `LstmCellGrad: expected float32 gates [N, 5H], cPrev, dh and dc [N, H], got ${all.map((t) => `[${t.shape}] ${t.dtype}`).join(', ')}`,
  );
  const dpre = backend.makeOutput([n, 4 * h], 'float32');
  const dcPrev = backend.makeOutput([n, h], 'float32');
  const simd = moduleExports(backend);
  if (simd && h % 4 === 0) {
    const at = (t: TensorInfo) => offsetOf(backend, t);
    simd.lstm_cell_grad(at(gates), at(cPrev), at(dh), dc ? at(dc) : 0, n, h, at(dpre), at(dcPrev));
  } else {
    // Views after the last allocation (growing the heap detaches older ones).
    const v = (t: TensorInfo) => f32(backend, t);
    lstmCellGradLoop(v(gates), v(cPrev), v(dh), dc ? v(dc) : null, n, h, v(dpre), v(dcPrev));
  }
  return [dpre, dcPrev];
}

export const lstmCellGradConfig: KernelConfig = {
  kernelName: LstmCellGrad,
  backendName: 'wasm',
  kernelFunc: lstmCellGrad as unknown as KernelFunc,
};
