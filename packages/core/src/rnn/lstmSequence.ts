/**
 * An LSTM layer over a whole [T, N, I] sequence as one differentiable op,
 * PyTorch `nn.LSTM`'s maths (kernels.ts), for models trained with the fused
 * step or read with `apply`. Under a tape, step-by-step ops would record
 * some forty kernels a step and differentiate each; here the input
 * projection of all steps is one product, the backward pass is the closed
 * form (kernels.ts's `lstmBackward`), and the weight gradients of all steps
 * are one product each.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { lstmStep, lstmStepBackward, weightGrad } from './kernels';

/** PyTorch's `weight_ih_l0` [4H, I], `weight_hh_l0` [4H, H], `bias_ih_l0` and `bias_hh_l0` [4H], gates i, f, g, o. */
export interface LstmWeights {
  wih: Tensor;
  whh: Tensor;
  bih: Tensor;
  bhh: Tensor;
}

/**
 * The hidden states [T, N, H] of an LSTM run over `x` [T, N, I] from `h0`
 * and `c0` [N, H]; with `reverse`, last step first (the backward direction
 * of a bidirectional LSTM, its outputs in the input's order).
 * Differentiable with respect to all seven tensors. T ≥ 1.
 */
export function lstmSequence(x: Tensor, h0: Tensor, c0: Tensor, w: LstmWeights, reverse = false): Tensor {
  const [T, N, I] = x.shape as number[];
  const H = w.whh.shape[1] as number;
  // Step t follows step prev(t) (none: the initial state).
  const order = Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));
  const prev = (t: number) => (reverse ? (t + 1 < T ? t + 1 : -1) : t - 1);
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [xs, h00, c00, wih, whh, bih, bhh] = args as Tensor[];
    const save = args[7] as tf.GradSaveFunc;
    const pre = tf.unstack(
      tf
        .matMul(xs.reshape([T * N, I]), tf.transpose(wih))
        .add(bih.add(bhh))
        .reshape([T, N, 4 * H]),
    );
    const whhT = tf.transpose(whh);
    const hs: Tensor[] = new Array(T);
    const cs: Tensor[] = new Array(T);
    const gates: Tensor[][] = new Array(T);
    let h = h00;
    let c = c00;
    for (const t of order) {
      const s = lstmStep(pre[t].add(tf.matMul(h, whhT)), c);
      h = hs[t] = s.h;
      c = cs[t] = s.c;
      gates[t] = s.cache;
    }
    save([xs, h00, c00, wih, whh, ...hs, ...cs, ...gates.flat()]);
    return {
      value: tf.stack(hs),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sh0, sc0, swih, swhh] = saved;
        const sh = saved.slice(5, 5 + T);
        const sc = saved.slice(5 + T, 5 + 2 * T);
        const G = gates[0].length; // tensors a step keeps: 5, or 1 from the fused kernel
        const sg = (t: number) => saved.slice(5 + 2 * T + G * t, 5 + 2 * T + G * (t + 1));
        const dys = tf.unstack(dy);
        const dPre: Tensor[] = new Array(T);
        let dh: Tensor | null = null;
        let dc: Tensor | null = null;
        for (const t of [...order].reverse()) {
          const p = prev(t);
          const r = lstmStepBackward(sg(t), p < 0 ? sc0 : sc[p], sc[t], dh ? dys[t].add(dh) : dys[t], dc);
          dPre[t] = r.dPre;
          dh = tf.matMul(r.dPre, swhh);
          dc = r.dcPrev;
        }
        const dG = tf.concat(dPre, 0); // [T·N, 4H], steps in the input's order
        const hPrev = tf.concat(
          dPre.map((_, t) => (prev(t) < 0 ? sh0 : sh[prev(t)])),
          0,
        );
        const db = dG.sum(0);
        return [tf.matMul(dG, swih).reshape([T, N, I]), dh!, dc!, weightGrad(dG, sx.reshape([T * N, I])), weightGrad(dG, hPrev), db, db];
      },
    };
  });
  return op(x, h0, c0, w.wih, w.whh, w.bih, w.bhh) as Tensor;
}
