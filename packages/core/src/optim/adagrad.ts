import type { Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { buffers, counter, evaluate, type FEval, type OptimResult, type OptimState, release, withWeightDecay } from './common';

/** Config of `adagrad`; Torch's keys and defaults. */
export type AdagradConfig = {
  /** 1e-3 */
  learningRate?: number;
  /** 0: the step is learningRate / (1 + evalCounter·learningRateDecay). */
  learningRateDecay?: number;
  /** 0 */
  weightDecay?: number;
};

/**
 * Torch's `optim.adagrad(opfunc, x, config, state)`, over a list of parameters.
 *
 * g = dfdx + weightDecay·x; s ← s + g²; x ← x − clr·g / (√s + 1e-10),
 * clr = learningRate / (1 + evalCounter·learningRateDecay).
 * State: `evalCounter`, `paramVariance` (s).
 */
export function adagrad(feval: FEval, params: Variable[], config: AdagradConfig = {}, state: OptimState = config): OptimResult {
  const lr = config.learningRate ?? 1e-3;
  const lrd = config.learningRateDecay ?? 0;
  const wd = config.weightDecay ?? 0;
  const nevals = counter(state, 'evalCounter');

  const [fx, grads] = evaluate(feval, params);
  const clr = lr / (1 + nevals * lrd);
  const variance = buffers(state, 'paramVariance', params, (i) => tf.zerosLike(params[i]));
  tf.tidy(() => {
    params.forEach((x, i) => {
      const g = withWeightDecay(grads[i], x, wd);
      variance[i].assign(variance[i].add(g.square()));
      x.assign(x.sub(g.div(variance[i].sqrt().add(1e-10)).mul(clr)));
    });
  });
  release(grads, params);
  state.evalCounter = nevals + 1;
  return [params, [fx]];
}
