import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, isTensor } from '../util/activity';
import { ShapeError } from '../util/errors';
import { Module } from './Module';

/**
 * Base of the parameterless transfer modules (Tanh, Sigmoid, SoftMax, …).
 *
 * `compute` is the forward formula (used by `forward` and by the fused
 * training step, which differentiates it with tfjs autodiff). A subclass may
 * also give `closedFormGrad`, Torch's hand-written backward from the saved
 * input/output (e.g. sigmoid' = y(1-y)); `updateGradInput`/`backward` then
 * use it instead of re-running `compute` under autodiff. As in Torch, the
 * closed form reads `this.output`, so call `forward(input)` first; when
 * `output` cannot belong to `input` (not a tensor, other shape) the
 * autodiff path is taken.
 */
export abstract class TransferModule extends Module {
  protected override checkInput(input: Activity): void {
    if (!isTensor(input)) throw new ShapeError(this.path(), 'a tensor', `a table ${describeActivity(input)}`);
  }

  /** d output / d input applied to `gradOutput`, from the saved `output`. */
  protected closedFormGrad?(input: Tensor, output: Tensor, gradOutput: Tensor): Tensor;

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const out = this.output;
    if (!this.closedFormGrad || !isTensor(input) || !isTensor(gradOutput) || !isTensor(out) || out.isDisposed || !sameShape(out.shape, input.shape))
      return super.updateGradInput(input, gradOutput);
    const g = tf.tidy(() => this.closedFormGrad!(input, out, gradOutput));
    return this.setGradInput(g, input, gradOutput);
  }

  /** No parameters: backward is updateGradInput. */
  override backward(input: Activity, gradOutput: Activity, _scale = 1): Activity {
    return this.updateGradInput(input, gradOutput);
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
