import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { buffers, counter, evaluate, type FEval, type OptimResult, type OptimState, release } from './common';

/** Config of `sgd`; Torch's keys and defaults. */
export type SgdConfig = {
  /** 1e-3 */
  learningRate?: number;
  /** 0: the step is learningRate / (1 + evalCounter·learningRateDecay). */
  learningRateDecay?: number;
  /** 0 */
  weightDecay?: number;
  /** Per-parameter weight decays, aligned with params (used when weightDecay is 0). */
  weightDecays?: Tensor[];
  /** 0 */
  momentum?: number;
  /** Defaults to momentum. */
  dampening?: number;
  /** false; needs momentum > 0 and dampening 0. */
  nesterov?: boolean;
  /** Per-parameter learning-rate multipliers, aligned with params. */
  learningRates?: Tensor[];
};

/**
 * Torch's `optim.sgd(opfunc, x, config, state)`, over a list of parameters.
 *
 * With g = dfdx + weightDecay·x: momentum keeps v ← momentum·v + (1 − dampening)·g
 * (v = g on the first step), the step direction is v, or g + momentum·v with
 * Nesterov; x ← x − clr·(learningRates ⊙) direction, clr = learningRate /
 * (1 + evalCounter·learningRateDecay). State: `evalCounter`, `dfdx`
 * (momentum buffers). Unlike Torch, the caller's gradient tensors are not
 * modified by weight decay or Nesterov.
 */
export function sgd(feval: FEval, params: Variable[], config: SgdConfig = {}, state: OptimState = config): OptimResult {
  const lr = config.learningRate ?? 1e-3;
  const lrd = config.learningRateDecay ?? 0;
  const wd = config.weightDecay ?? 0;
  const mom = config.momentum ?? 0;
  const damp = config.dampening ?? mom;
  const nesterov = config.nesterov ?? false;
  const lrs = config.learningRates;
  const wds = config.weightDecays;
  const nevals = counter(state, 'evalCounter');
  if (nesterov && !(mom > 0 && damp === 0)) throw new Error('optim.sgd: Nesterov momentum requires a momentum and zero dampening');

  const [fx, grads] = evaluate(feval, params);
  tf.tidy(() => {
    const clr = lr / (1 + nevals * lrd);
    const fresh = mom !== 0 && state.dfdx === undefined;
    const vs = mom !== 0 ? buffers(state, 'dfdx', params, (i) => decayed(i)) : [];
    function decayed(i: number): Tensor {
      const x = params[i];
      if (wd !== 0) return grads[i].add(x.mul(wd));
      if (wds) return grads[i].add(wds[i].mul(x));
      return grads[i];
    }
    params.forEach((x, i) => {
      let d = decayed(i);
      if (mom !== 0) {
        const v = vs[i];
        if (!fresh) v.assign(v.mul(mom).add(d.mul(1 - damp)));
        d = nesterov ? d.add(v.mul(mom)) : v;
      }
      if (lrs) d = lrs[i].mul(d);
      x.assign(x.sub(d.mul(clr)));
    });
  });
  release(grads, params);
  state.evalCounter = nevals + 1;
  return [params, [fx]];
}
