import type { NamedAttrMap, Tensor, Variable } from '@tensorflow/tfjs-core';
import { AdamUpdate, type AdamUpdateAttrs } from '../backends/kernelNames';
import { tf } from '../tf';
import { buffers, counter, evaluate, type FEval, type OptimResult, type OptimState, release, withWeightDecay } from './common';

/** Config of `adam`; Torch's keys and defaults. */
export type AdamConfig = {
  /** 1e-3 */
  learningRate?: number;
  /** 0: the step is learningRate / (1 + t·learningRateDecay), t counted before this step. */
  learningRateDecay?: number;
  /** 0.9 */
  beta1?: number;
  /** 0.999 */
  beta2?: number;
  /** 1e-8 */
  epsilon?: number;
  /** 0 */
  weightDecay?: number;
};

/**
 * Torch's `optim.adam(opfunc, x, config, state)`, over a list of parameters.
 *
 * g = dfdx + weightDecay·x; t ← t + 1; m ← β1·m + (1 − β1)·g;
 * v ← β2·v + (1 − β2)·g²; x ← x − clr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε).
 *
 * Note: Torch adds ε to the *uncorrected* √v, whereas PyTorch's Adam adds it
 * to √v / √(1 − β2ᵗ); we follow Torch, so with equal settings the two
 * differ slightly while √v is of the order of ε. State: `t`, `m`, `v`.
 * Backends with the `AdamUpdate` kernel (wasm) take each parameter's step in one pass.
 */
export function adam(feval: FEval, params: Variable[], config: AdamConfig = {}, state: OptimState = config): OptimResult {
  const lr = config.learningRate ?? 1e-3;
  const lrd = config.learningRateDecay ?? 0;
  const beta1 = config.beta1 ?? 0.9;
  const beta2 = config.beta2 ?? 0.999;
  const epsilon = config.epsilon ?? 1e-8;
  const wd = config.weightDecay ?? 0;

  const [fx, grads] = evaluate(feval, params);
  const t0 = counter(state, 't');
  const ms = buffers(state, 'm', params, (i) => tf.zerosLike(params[i]));
  const vs = buffers(state, 'v', params, (i) => tf.zerosLike(params[i]));
  const clr = lr / (1 + t0 * lrd);
  const t = t0 + 1;
  const stepSize = (clr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
  const fused = tf.getKernel(AdamUpdate, tf.getBackend()) !== undefined;
  tf.tidy(() => {
    params.forEach((x, i) => {
      const g = withWeightDecay(grads[i], x, wd);
      if (fused && x.dtype === 'float32' && g.dtype === 'float32') {
        const attrs: AdamUpdateAttrs = { beta1, beta2, epsilon, stepSize };
        const [x1, m1, v1] = tf.engine().runKernel(AdamUpdate, { x, m: ms[i], v: vs[i], g }, attrs as unknown as NamedAttrMap) as Tensor[];
        ms[i].assign(m1);
        vs[i].assign(v1);
        x.assign(x1);
        return;
      }
      ms[i].assign(ms[i].mul(beta1).add(g.mul(1 - beta1)));
      vs[i].assign(vs[i].mul(beta2).add(g.square().mul(1 - beta2)));
      const denom = vs[i].sqrt().add(epsilon);
      x.assign(x.sub(ms[i].div(denom).mul(stepSize)));
    });
  });
  release(grads, params);
  state.t = t;
  return [params, [fx]];
}
