/**
 * Kernels of our own (tfjs has no kernel for them), registered on the
 * backends where a fused version pays; modules fall back to composed ops
 * where `getKernel(name, backend)` finds none. Named and typed as tfjs's
 * `kernel_names.ts` does.
 */

/**
 * Training-mode batch normalisation over every axis but the last. Outputs
 * [y, mean, variance (biased), invstd = 1/√(variance + eps)].
 */
export const BatchNormTrain = 'CaptchaNNBatchNormTrain';
export type BatchNormTrainInputs = { x: unknown; weight: unknown; bias: unknown };
export interface BatchNormTrainAttrs {
  eps: number;
}

/**
 * BatchNormTrain's gradient, Torch's closed form over the M values of each
 * feature, with x̂ = (x − mean)·invstd: dbias = Σ dy, dweight = Σ dy·x̂,
 * dx = weight·invstd · (dy − (dbias + x̂·dweight)/M). Outputs [dx, dweight, dbias].
 */
export const BatchNormTrainGrad = 'CaptchaNNBatchNormTrainGrad';
export type BatchNormTrainGradInputs = { dy: unknown; x: unknown; mean: unknown; invstd: unknown; weight: unknown };

/**
 * One Adam step of one parameter (Torch's rule, `optim/adam.ts`), with the
 * composed ops' order of operations:
 * m' = β1·m + (1 − β1)·g, v' = β2·v + (1 − β2)·g², x' = x − (m' / (√v' + ε))·stepSize.
 * Outputs [x', m', v'].
 */
export const AdamUpdate = 'CaptchaNNAdamUpdate';
export type AdamUpdateInputs = { x: unknown; m: unknown; v: unknown; g: unknown };
export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  stepSize: number;
}

/**
 * ReLU's gradient: dx = dy·s, s = 1 where x > 0, 0 where not, NaN where x is
 * NaN (tfjs-core's dy·cast(step(x)) as one pass). float32 only.
 */
export const ReluGrad = 'CaptchaNNReluGrad';
export type ReluGradInputs = { dy: unknown; x: unknown };

/**
 * One LSTM cell step (PyTorch nn.LSTM's maths, gates i, f, g, o) from the
 * summed pre-activations pre [N, 4H] and the previous cell c [N, H].
 * Outputs [h, c', gates [N, 5H] = i, f, g, o, tanh(c')]. float32, no gradient
 * (lstmSequence.ts calls it outside a tape, with LstmCellGrad for its backward).
 */
export const LstmCell = 'CaptchaNNLstmCell';
export type LstmCellInputs = { pre: unknown; c: unknown };

/**
 * LstmCell's backward from its `gates`, the previous cell `cPrev`, dh and
 * (optional) the next step's dc: outputs [dpre [N, 4H], dcPrev [N, H]].
 */
export const LstmCellGrad = 'CaptchaNNLstmCellGrad';
export type LstmCellGradInputs = { gates: unknown; cPrev: unknown; dh: unknown; dc?: unknown };
