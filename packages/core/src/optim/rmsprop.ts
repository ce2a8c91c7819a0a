import type { Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { buffers, evaluate, type FEval, type OptimResult, type OptimState, release, withWeightDecay } from './common';

/** Config of `rmsprop`; Torch's keys and defaults. */
export type RmspropConfig = {
  /** 1e-2 */
  learningRate?: number;
  /** 0.99 */
  alpha?: number;
  /** 1e-8 */
  epsilon?: number;
  /** 0 */
  weightDecay?: number;
  /** 0: the starting value of the mean square. */
  initialMean?: number;
};

/**
 * Torch's `optim.rmsprop(opfunc, x, config, state)`, over a list of parameters.
 *
 * g = dfdx + weightDecay·x; m ← α·m + (1 − α)·g²; x ← x − lr·g / (√m + ε).
 * (PyTorch's RMSprop without momentum/centering is the same.) State: `m`.
 */
export function rmsprop(feval: FEval, params: Variable[], config: RmspropConfig = {}, state: OptimState = config): OptimResult {
  const lr = config.learningRate ?? 1e-2;
  const alpha = config.alpha ?? 0.99;
  const epsilon = config.epsilon ?? 1e-8;
  const wd = config.weightDecay ?? 0;
  const mfill = config.initialMean ?? 0;

  const [fx, grads] = evaluate(feval, params);
  const ms = buffers(state, 'm', params, (i) => tf.fill(params[i].shape, mfill));
  tf.tidy(() => {
    params.forEach((x, i) => {
      const g = withWeightDecay(grads[i], x, wd);
      ms[i].assign(ms[i].mul(alpha).add(g.square().mul(1 - alpha)));
      x.assign(x.sub(g.div(ms[i].sqrt().add(epsilon)).mul(lr)));
    });
  });
  release(grads, params);
  return [params, [fx]];
}
