import type { Tensor } from '@tensorflow/tfjs-core';
import type { Criterion, Target } from '../nn/Criterion';
import type { Module } from '../nn/Module';
import { tf } from '../tf';
import { accumulateGrad } from '../util/gradBuffers';
import type { Activity } from '../util/activity';

/**
 * Forward, criterion and backward in ONE tfjs autodiff pass.
 *
 * Records `criterion.lossTensor(model.apply(input), target)` and
 * differentiates it with respect to the model's parameters, adding
 * `scale ·` the gradients into the model's gradient buffers exactly as
 * `criterion.forward/backward` + `model.backward(input, gradOutput, scale)`
 * would; so `model.updateParameters`, `optim.*` and `Optimizer` work
 * unchanged. Like `model.backward`, it accumulates: call
 * `model.zeroGradParameters()` first. Sets `criterion.output` and returns
 * the loss.
 *
 * The model runs once (BatchNorm's running statistics update once, in
 * training mode). Unlike the classic loop, it leaves `model.output`,
 * `model.gradInput` and `criterion.gradInput` untouched.
 *
 * One difference from Torch: parameters whose values are shared
 * (`share('weight')`) but whose gradient buffers are not receive the total
 * gradient of all uses in the first buffer; Torch would give each buffer
 * its own module's share. Share the gradients too (`share('weight',
 * 'gradWeight')`, as Torch's clones for recurrence do) and the results agree.
 */
export function fusedBackward(model: Module, criterion: Criterion, input: Activity, target: Target, scale = 1): number {
  const [ws, gs] = model.parameters();
  const lossTensor = tf.tidy(() => {
    const f = (): Tensor => criterion.lossTensor(model.apply(input), target);
    const { value, grads } = tf.engine().gradients(f, ws, undefined, true);
    grads.forEach((g, i) => {
      if (g) accumulateGrad(gs[i], g, scale);
    });
    return value;
  });
  const loss = lossTensor.dataSync()[0];
  lossTensor.dispose();
  criterion.output = loss;
  return loss;
}
