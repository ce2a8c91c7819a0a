/**
 * An LSTM layer over a whole [T, N, I] sequence, PyTorch `nn.LSTM`'s maths
 * (kernels.ts): the input projection of all steps is one product, the
 * backward pass is the cells' closed form, and the weight gradients of all
 * steps are one product each. `lstmSequence` is it as one differentiable op,
 * for models trained with the fused step or read with `apply` (step-by-step
 * ops under a tape record some forty kernels a step and differentiate each);
 * SeqLSTM's own forward and backward call the two halves directly.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { lstmStep, lstmStepBackward, weightGrad } from './kernels';
import { unstackSteps } from './sequence';

/** PyTorch's `weight_ih_l0` [4H, I], `weight_hh_l0` [4H, H], `bias_ih_l0` and `bias_hh_l0` [4H], gates i, f, g, o. */
export interface LstmWeights {
  wih: Tensor;
  whh: Tensor;
  bih: Tensor;
  bhh: Tensor;
}

/** What the backward pass needs: the input as [T·N, I], the initial state, and each step's h, c and cell cache, in the input's order. */
export interface LstmSequenceCache {
  x2: Tensor;
  h0: Tensor;
  c0: Tensor;
  hs: Tensor[];
  cs: Tensor[];
  gates: Tensor[][];
  reverse: boolean;
}

/** The step that step t follows (−1: the initial state). */
const previous = (t: number, T: number, reverse: boolean) => (reverse ? (t + 1 < T ? t + 1 : -1) : t - 1);

/** Steps in the order they run: last first with `reverse`. */
const runOrder = (T: number, reverse: boolean) => Array.from({ length: T }, (_, k) => (reverse ? T - 1 - k : k));

/**
 * The hidden states y [T, N, H] over `x` [T, N, I] from `h0` and `c0` [N, H],
 * the last state [h, c], and the cache for `lstmSequenceBackward`. With
 * `reverse`, last step first (a bidirectional LSTM's backward direction, its
 * outputs in the input's order). `transposed`: [in, 4H] copies of the two
 * weights the caller keeps (wasm's matMul is much slower with transposeB).
 */
export function lstmSequenceForward(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  w: LstmWeights,
  reverse = false,
  transposed?: { wihT: Tensor; whhT: Tensor },
): { y: Tensor; last: Tensor[]; cache: LstmSequenceCache } {
  const [T, N, I] = x.shape as number[];
  const H = w.whh.shape[1] as number;
  const x2 = x.reshape([T * N, I]);
  const whhT = transposed?.whhT ?? tf.transpose(w.whh);
  const pre = unstackSteps(
    tf
      .matMul(x2, transposed?.wihT ?? tf.transpose(w.wih))
      .add(w.bih.add(w.bhh))
      .reshape([T, N, 4 * H]),
  );
  const hs: Tensor[] = new Array(T);
  const cs: Tensor[] = new Array(T);
  const gates: Tensor[][] = new Array(T);
  let h = h0;
  let c = c0;
  for (const t of runOrder(T, reverse)) {
    const s = lstmStep(pre[t].add(tf.matMul(h, whhT)), c);
    h = hs[t] = s.h;
    c = cs[t] = s.c;
    gates[t] = s.cache;
  }
  return { y: tf.stack(hs), last: [h, c], cache: { x2, h0, c0, hs, cs, gates, reverse } };
}

/**
 * BPTT over a cached forward from dy [T, N, H] and, optionally, the gradient
 * with respect to the last state (dhLast, dcLast): dx [T, N, I], dh0, dc0 and
 * the gradients of `weight_ih_l0`, `weight_hh_l0` and the biases (one, for both).
 */
export function lstmSequenceBackward(
  cache: LstmSequenceCache,
  w: Pick<LstmWeights, 'wih' | 'whh'>,
  dy: Tensor,
  dhLast: Tensor | null = null,
  dcLast: Tensor | null = null,
): { dx: Tensor; dh0: Tensor; dc0: Tensor; dWih: Tensor; dWhh: Tensor; db: Tensor } {
  const { x2, h0, c0, hs, cs, gates, reverse } = cache;
  const T = hs.length;
  const N = h0.shape[0] as number;
  const prev = (t: number) => previous(t, T, reverse);
  const dys = unstackSteps(dy);
  const dPre: Tensor[] = new Array(T);
  let dh = dhLast;
  let dc = dcLast;
  for (const t of runOrder(T, !reverse)) {
    const p = prev(t);
    const r = lstmStepBackward(gates[t], p < 0 ? c0 : cs[p], cs[t], dh ? dys[t].add(dh) : dys[t], dc);
    dPre[t] = r.dPre;
    dh = tf.matMul(r.dPre, w.whh);
    dc = r.dcPrev;
  }
  const dG = tf.concat(dPre, 0); // [T·N, 4H], steps in the input's order
  const hPrev = tf.concat(
    dPre.map((_, t) => (prev(t) < 0 ? h0 : hs[prev(t)])),
    0,
  );
  return {
    dx: tf.matMul(dG, w.wih).reshape([T, N, x2.shape[1] as number]),
    dh0: dh!,
    dc0: dc!,
    dWih: weightGrad(dG, x2),
    dWhh: weightGrad(dG, hPrev),
    db: dG.sum(0),
  };
}

/**
 * The hidden states [T, N, H] of an LSTM run over `x` [T, N, I] from `h0`
 * and `c0` [N, H] (`reverse`: last step first), as one op differentiable with
 * respect to all seven tensors. T ≥ 1.
 */
export function lstmSequence(x: Tensor, h0: Tensor, c0: Tensor, w: LstmWeights, reverse = false): Tensor {
  const T = x.shape[0] as number;
  let G = 0; // tensors a step's cell cache holds: 5, or 1 from the fused kernel
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const [xs, h00, c00, wih, whh, bih, bhh] = args as Tensor[];
    const save = args[7] as tf.GradSaveFunc;
    const { y, cache } = lstmSequenceForward(xs, h00, c00, { wih, whh, bih, bhh }, reverse);
    G = cache.gates[0].length;
    save([wih, whh, cache.x2, h00, c00, ...cache.hs, ...cache.cs, ...cache.gates.flat()]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [swih, swhh, x2, sh0, sc0] = saved;
        const steps = saved.slice(5);
        const cache: LstmSequenceCache = {
          x2,
          h0: sh0,
          c0: sc0,
          hs: steps.slice(0, T),
          cs: steps.slice(T, 2 * T),
          gates: Array.from({ length: T }, (_, t) => steps.slice(2 * T + G * t, 2 * T + G * (t + 1))),
          reverse,
        };
        const g = lstmSequenceBackward(cache, { wih: swih, whh: swhh }, dy);
        return [g.dx, g.dh0, g.dc0, g.dWih, g.dWhh, g.db, g.db];
      },
    };
  });
  return op(x, h0, c0, w.wih, w.whh, w.bih, w.bhh) as Tensor;
}
