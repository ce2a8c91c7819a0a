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
