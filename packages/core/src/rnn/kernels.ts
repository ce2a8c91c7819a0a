/**
 * Fused LSTM and GRU cell maths with closed-form backward passes, shared by
 * FastLSTM, LSTM, GRU and SeqLSTM. All functions are pure tfjs and allocate
 * only what they return (call them inside `tf.tidy`).
 *
 * Layouts are PyTorch's: gate pre-activations are [N, 4H] in the order
 * i, f, g, o (LSTM) or [N, 3H] in the order r, z, n (GRU); weights are
 * [gates*H, in] and are used with `transposeB` (never `transposeA`, which is
 * slow on wasm). Parameter gradients are formed as `transpose(dGates) @ x`.
 */
import { getKernel, type Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { LstmCell, LstmCellGrad } from '../backends/kernelNames';

/** What an LSTM step keeps for its backward pass. */
export interface LstmStep {
  h: Tensor;
  c: Tensor;
  /** [i, f, g, o, tanh(c)] */
  cache: Tensor[];
}

/** Peephole (diagonal cell-to-gate) weights, Torch rnn's LSTM: each [H]. */
export interface Peepholes {
  ci: Tensor;
  cf: Tensor;
  co: Tensor;
}

/**
 * One LSTM step from the summed pre-activations `pre` [N,4H] (input and
 * hidden projections and biases) and the previous cell `cPrev` [N,H].
 * With peepholes (Torch rnn's LSTM): i and f also see `cPrev`, o sees the new cell.
 */
export function lstmForward(pre: Tensor, cPrev: Tensor, peep?: Peepholes): LstmStep {
  const [ai, af, ag, ao] = tf.split(pre, 4, 1);
  const i = tf.sigmoid(peep ? ai.add(cPrev.mul(peep.ci)) : ai);
  const f = tf.sigmoid(peep ? af.add(cPrev.mul(peep.cf)) : af);
  const g = tf.tanh(ag);
  const c = f.mul(cPrev).add(i.mul(g));
  const o = tf.sigmoid(peep ? ao.add(c.mul(peep.co)) : ao);
  const tc = tf.tanh(c);
  const h = o.mul(tc);
  return { h, c, cache: [i, f, g, o, tc] };
}

/**
 * Backward of `lstmForward`: from d loss/d h and d loss/d c (either may be
 * null for zero) to d loss/d pre [N,4H], d loss/d cPrev and, with peepholes,
 * the peephole gradients [dci, dcf, dco].
 */
export function lstmBackward(
  cache: Tensor[],
  cPrev: Tensor,
  c: Tensor,
  dh: Tensor | null,
  dcNext: Tensor | null,
  peep?: Peepholes,
): { dPre: Tensor; dcPrev: Tensor; dPeep?: Tensor[] } {
  const [i, f, g, o, tc] = cache;
  const one = tf.scalar(1);
  const dhh = dh ?? tf.zerosLike(tc);
  const doPre = dhh.mul(tc).mul(o).mul(one.sub(o));
  let dc = dhh.mul(o).mul(one.sub(tc.square()));
  if (dcNext) dc = dc.add(dcNext);
  if (peep) dc = dc.add(doPre.mul(peep.co));
  const diPre = dc.mul(g).mul(i).mul(one.sub(i));
  const dfPre = dc.mul(cPrev).mul(f).mul(one.sub(f));
  const dgPre = dc.mul(i).mul(one.sub(g.square()));
  let dcPrev = dc.mul(f);
  let dPeep: Tensor[] | undefined;
  if (peep) {
    dcPrev = dcPrev.add(diPre.mul(peep.ci)).add(dfPre.mul(peep.cf));
    dPeep = [diPre.mul(cPrev).sum(0), dfPre.mul(cPrev).sum(0), doPre.mul(c).sum(0)];
  }
  return { dPre: tf.concat([diPre, dfPre, dgPre, doPre], 1), dcPrev, dPeep };
}

/**
 * `lstmForward` without peepholes through the backend's fused `LstmCell`
 * kernel where it has one (wasm), its cache then `[gates]`; for use outside
 * a tape (the kernel has no gradient: `lstmStepBackward` is its backward).
 */
export function lstmStep(pre: Tensor, cPrev: Tensor): LstmStep {
  if (pre.dtype !== 'float32' || !getKernel(LstmCell, tf.getBackend())) return lstmForward(pre, cPrev);
  const [h, c, gates] = tf.engine().runKernel(LstmCell, { pre, c: cPrev }) as Tensor[];
  return { h, c, cache: [gates] };
}

/** The backward of `lstmStep`: `lstmBackward`, or the fused `LstmCellGrad` for a fused step's cache. */
export function lstmStepBackward(cache: Tensor[], cPrev: Tensor, c: Tensor, dh: Tensor, dcNext: Tensor | null): { dPre: Tensor; dcPrev: Tensor } {
  if (cache.length !== 1) return lstmBackward(cache, cPrev, c, dh, dcNext);
  const inputs = { gates: cache[0], cPrev, dh, ...(dcNext ? { dc: dcNext } : {}) };
  const [dPre, dcPrev] = tf.engine().runKernel(LstmCellGrad, inputs) as Tensor[];
  return { dPre, dcPrev };
}

/** What a GRU step keeps for its backward pass. */
export interface GruStep {
  h: Tensor;
  /** [r, z, n, hn] where hn = W_hn h + b_hn */
  cache: Tensor[];
}

/**
 * One GRU step, PyTorch's maths: `gi` = W_ih x + b_ih and `gh` = W_hh h + b_hh,
 * each [N,3H] in the order r, z, n;
 * n = tanh(gi_n + r ⊙ gh_n), h' = (1 − z) ⊙ n + z ⊙ h.
 */
export function gruForward(gi: Tensor, gh: Tensor, hPrev: Tensor): GruStep {
  const [ir, iz, inn] = tf.split(gi, 3, 1);
  const [hr, hz, hn] = tf.split(gh, 3, 1);
  const r = tf.sigmoid(ir.add(hr));
  const z = tf.sigmoid(iz.add(hz));
  const n = tf.tanh(inn.add(r.mul(hn)));
  const h = n.add(z.mul(hPrev.sub(n)));
  return { h, cache: [r, z, n, hn] };
}

/** Backward of `gruForward`: d gi, d gh (each [N,3H]) and the direct part of d hPrev. */
export function gruBackward(cache: Tensor[], hPrev: Tensor, dh: Tensor): { dGi: Tensor; dGh: Tensor; dhPrevDirect: Tensor } {
  const [r, z, n, hn] = cache;
  const one = tf.scalar(1);
  const dnPre = dh.mul(one.sub(z)).mul(one.sub(n.square()));
  const dzPre = dh.mul(hPrev.sub(n)).mul(z).mul(one.sub(z));
  const drPre = dnPre.mul(hn).mul(r).mul(one.sub(r));
  return {
    dGi: tf.concat([drPre, dzPre, dnPre], 1),
    dGh: tf.concat([drPre, dzPre, dnPre.mul(r)], 1),
    dhPrevDirect: dh.mul(z),
  };
}

/** x @ Wᵀ for W [out, in] (PyTorch layout). */
export function projT(x: Tensor, w: Tensor): Tensor {
  return tf.matMul(x, w, false, true);
}

/** dGᵀ @ x, the weight gradient for W [out, in], without `transposeA`. */
export function weightGrad(dG: Tensor, x: Tensor): Tensor {
  return tf.matMul(tf.transpose(dG), x);
}
