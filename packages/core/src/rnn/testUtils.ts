/**
 * Test helpers: independent autodiff references for the recurrent modules.
 * Not exported from the package.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';

type Cell = (x: Tensor, state: Tensor[], w: Tensor[]) => Tensor[];

/** PyTorch nn.LSTM step: w = [W_ih, W_hh, b_ih, b_hh] (b_hh optional). */
export const lstmCellRef: Cell = (x, [h, c], w) => {
  let g = x
    .matMul(w[0], false, true)
    .add(h.matMul(w[1], false, true))
    .add(w[2]);
  if (w[3]) g = g.add(w[3]);
  const H = h.shape[1]!;
  const i = g.slice([0, 0], [-1, H]).sigmoid();
  const f = g.slice([0, H], [-1, H]).sigmoid();
  const gg = g.slice([0, 2 * H], [-1, H]).tanh();
  const o = g.slice([0, 3 * H], [-1, H]).sigmoid();
  const c2 = f.mul(c).add(i.mul(gg));
  return [o.mul(c2.tanh()), c2];
};

/** Torch rnn's peephole LSTM: w = [W_ih, W_hh, b, p_i, p_f, p_o]. */
export const peepholeCellRef: Cell = (x, [h, c], w) => {
  const g = x
    .matMul(w[0], false, true)
    .add(h.matMul(w[1], false, true))
    .add(w[2]);
  const H = h.shape[1]!;
  const i = g.slice([0, 0], [-1, H]).add(c.mul(w[3])).sigmoid();
  const f = g.slice([0, H], [-1, H]).add(c.mul(w[4])).sigmoid();
  const gg = g.slice([0, 2 * H], [-1, H]).tanh();
  const c2 = f.mul(c).add(i.mul(gg));
  const o = g
    .slice([0, 3 * H], [-1, H])
    .add(c2.mul(w[5]))
    .sigmoid();
  return [o.mul(c2.tanh()), c2];
};

/** PyTorch nn.GRU step: w = [W_ih, W_hh, b_ih, b_hh]. */
export const gruCellRef: Cell = (x, [h], w) => {
  const gi = x.matMul(w[0], false, true).add(w[2]);
  const gh = h.matMul(w[1], false, true).add(w[3]);
  const H = h.shape[1]!;
  const part = (t: Tensor, k: number) => t.slice([0, k * H], [-1, H]);
  const r = part(gi, 0).add(part(gh, 0)).sigmoid();
  const z = part(gi, 1).add(part(gh, 1)).sigmoid();
  const n = part(gi, 2)
    .add(r.mul(part(gh, 2)))
    .tanh();
  return [tf.scalar(1).sub(z).mul(n).add(z.mul(h))];
};

/**
 * Unrolls `cell` over xs from a zero (or given) state and returns outputs,
 * and the gradients of Σ_t <y_t, gy_t> w.r.t. the inputs and weights.
 */
export function refRnn(
  cell: Cell,
  nState: number,
  xs: Tensor[],
  gys: Tensor[],
  ws: Tensor[],
  h0?: Tensor[],
): { ys: Tensor[]; gxs: Tensor[]; gws: Tensor[]; gh0: Tensor[] } {
  const N = xs[0].shape[0];
  const H = gys[0].shape[1]!;
  const init = h0 ?? Array.from({ length: nState }, () => tf.zeros([N, H]));
  const run = (xx: Tensor[], ww: Tensor[], s0: Tensor[]) => {
    let s = s0;
    return xx.map((x) => {
      s = cell(x, s, ww);
      return s[0];
    });
  };
  const ys = run(xs, ws, init);
  const T = xs.length;
  const f = (...args: Tensor[]) => {
    const out = run(args.slice(0, T), args.slice(T, T + ws.length), args.slice(T + ws.length));
    return tf.addN(out.map((y, t) => y.mul(gys[t]).sum()));
  };
  const g = tf.grads(f)([...xs, ...ws, ...init]);
  return { ys, gxs: g.slice(0, T), gws: g.slice(T, T + ws.length), gh0: g.slice(T + ws.length) };
}

export function refLstm(xs: Tensor[], gys: Tensor[], ws: Tensor[], h0?: Tensor[]) {
  return refRnn(lstmCellRef, 2, xs, gys, ws, h0);
}

/** Forward T steps and backward in reverse through a step module; copies of everything. */
export function runBptt(
  m: { forward(x: Tensor): unknown; backward(x: Tensor, g: Tensor): unknown; zeroGradParameters(): void },
  xs: Tensor[],
  gys: Tensor[],
): { ys: Tensor[]; gxs: Tensor[] } {
  const ys = xs.map((x) => (m.forward(x) as Tensor).clone());
  m.zeroGradParameters();
  const gxs: Tensor[] = [];
  for (let t = xs.length - 1; t >= 0; t--) gxs[t] = (m.backward(xs[t], gys[t]) as Tensor).clone();
  return { ys, gxs };
}

export function randomSeq(T: number, shape: number[], seed: number): Tensor[] {
  return Array.from({ length: T }, (_, t) => tf.randomNormal(shape, 0, 1, 'float32', seed + t));
}
