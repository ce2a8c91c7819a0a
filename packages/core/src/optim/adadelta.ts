import type { Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { buffers, counter, evaluate, type FEval, type OptimResult, type OptimState, release, withWeightDecay } from './common';

/** Config of `adadelta`; Torch's keys and defaults. */
export type AdadeltaConfig = {
  /** 0.9 */
  rho?: number;
  /** 1e-6 */
  eps?: number;
  /** 0 */
  weightDecay?: number;
  /**
   * 1. Not in Torch (which always steps by the full delta); PyTorch's `lr`.
   * At its default the update is exactly Torch's.
   */
  learningRate?: number;
};

/**
 * Torch's `optim.adadelta(opfunc, x, config, state)`, over a list of parameters.
 *
 * g = dfdx + weightDecay·x; E[g²] ← ρ·E[g²] + (1 − ρ)·g²;
 * δ = √(E[δ²] + ε) / √(E[g²] + ε) · g; x ← x − lr·δ; E[δ²] ← ρ·E[δ²] + (1 − ρ)·δ².
 * State: `evalCounter`, `paramVariance` (E[g²]), `accDelta` (E[δ²]).
 */
export function adadelta(feval: FEval, params: Variable[], config: AdadeltaConfig = {}, state: OptimState = config): OptimResult {
  const rho = config.rho ?? 0.9;
  const eps = config.eps ?? 1e-6;
  const wd = config.weightDecay ?? 0;
  const lr = config.learningRate ?? 1;
  const nevals = counter(state, 'evalCounter');

  const [fx, grads] = evaluate(feval, params);
  const variance = buffers(state, 'paramVariance', params, (i) => tf.zerosLike(params[i]));
  const accDelta = buffers(state, 'accDelta', params, (i) => tf.zerosLike(params[i]));
  tf.tidy(() => {
    params.forEach((x, i) => {
      const g = withWeightDecay(grads[i], x, wd);
      variance[i].assign(variance[i].mul(rho).add(g.square().mul(1 - rho)));
      const std = variance[i].add(eps).sqrt();
      const delta = accDelta[i].add(eps).sqrt().div(std).mul(g);
      x.assign(x.sub(lr === 1 ? delta : delta.mul(lr)));
      accDelta[i].assign(accDelta[i].mul(rho).add(delta.square().mul(1 - rho)));
    });
  });
  release(grads, params);
  state.evalCounter = nevals + 1;
  return [params, [fx]];
}
