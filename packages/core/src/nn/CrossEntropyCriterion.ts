import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { ClassNLLCriterion } from './ClassNLLCriterion';
import { Criterion, type Target, targetTensor } from './Criterion';
import { type CriterionSpec, specOf, weightList } from '../util/moduleSpec';

/** `eps` if it is a label smoothing in [0, 1]; otherwise a RangeError naming `owner`. */
export function checkLabelSmoothing(owner: string, eps: number): number {
  if (!(eps >= 0 && eps <= 1)) throw new RangeError(`${owner}: labelSmoothing must be in [0, 1], got ${eps}`);
  return eps;
}

/**
 * Torch's `nn.CrossEntropyCriterion(weights?, sizeAverage = true)`:
 * LogSoftMax over the class dimension, then ClassNLLCriterion.
 *
 * Args:
 *   weights: a weight per class, as ClassNLLCriterion's.
 *   sizeAverage: average over the batch (by the summed weights of the
 *     targets), or sum.
 *   labelSmoothing: PyTorch's `CrossEntropyLoss(label_smoothing=ε)`, which
 *     Torch7 lacks: the target becomes (1 − ε)·one-hot + ε/C everywhere, so
 *     the loss is (1 − ε)·NLL + ε/C·Σ_c w_c·(−log p_c), with the same divisor.
 *     In [0, 1]; 0 (the default) is Torch's criterion.
 *
 * Shapes: input [N, C] or [C] scores; target [N] (or a scalar) of 0-based
 * class indices, as a tensor or plain numbers. Like Torch, which squeezes
 * its input, extra singleton dimensions between N and C are accepted
 * ([N,1,1,C], a 1×1 NHWC map). Log-probabilities are valid scores too
 * (LogSoftMax of them is themselves).
 */
export class CrossEntropyCriterion extends Criterion {
  readonly typeName: string = 'CrossEntropyCriterion';
  /** The ClassNLLCriterion applied to the log-probabilities. */
  readonly nll: ClassNLLCriterion;
  readonly labelSmoothing: number;

  constructor(weights?: Tensor | number[], sizeAverage = true, labelSmoothing = 0) {
    super();
    this.labelSmoothing = checkLabelSmoothing('CrossEntropyCriterion', labelSmoothing);
    this.nll = new ClassNLLCriterion(weights, sizeAverage);
  }

  override toSpec(): CriterionSpec {
    const args: unknown[] = [weightList(this.weights), this.sizeAverage];
    if (this.labelSmoothing > 0) args.push(this.labelSmoothing);
    return specOf(this.typeName, args);
  }

  get sizeAverage(): boolean {
    return this.nll.sizeAverage;
  }

  get weights(): Tensor | undefined {
    return this.nll.weights;
  }

  protected loss(input: Activity, target: Target): Tensor {
    return this.smoothedNLL(tf.logSoftmax(this.scores(input), -1), target);
  }

  /** The loss of log-probabilities [M, C] (or [C]) against M class indices, smoothed by `labelSmoothing`. */
  protected smoothedNLL(logp: Tensor, target: Target): Tensor {
    const nll = this.nll.lossTensor(logp, target);
    const eps = this.labelSmoothing;
    if (eps === 0) return nll;
    // nll checked the shapes and targets. As PyTorch's, rows whose target is
    // ignored count for nothing, and the smoothing term shares nll's divisor.
    const c = logp.shape[logp.rank - 1]!;
    const lp = logp.reshape([-1, c]);
    const t = targetTensor(target, 'int32').reshape([-1]);
    const { w, kept } = this.nll.targetWeights(t);
    const perRow = tf.neg(tf.sum(this.weights ? tf.mul(lp, this.weights) : lp, 1));
    const smooth = tf.sum(tf.mul(perRow, kept));
    const divisor = this.sizeAverage ? this.nll.divisor(w) : 1;
    return tf.add(tf.mul(nll, 1 - eps), tf.mul(tf.div(smooth, divisor), eps / c));
  }

  /** The input as [N, C] or [C] scores; shape errors name this criterion. */
  protected scores(input: Activity): Tensor {
    if (!isTensor(input)) throw this.shapeError('[N,C] or [C]', 'a table');
    const x = input;
    if (x.rank === 1 || x.rank === 2) return x;
    if (x.rank > 2 && x.shape.slice(1, -1).every((d) => d === 1)) return x.reshape([x.shape[0], x.shape[x.rank - 1]]);
    throw this.shapeError('[N,C] or [C]', x.shape);
  }

  override dispose(): void {
    super.dispose();
    this.nll.dispose();
  }
}
