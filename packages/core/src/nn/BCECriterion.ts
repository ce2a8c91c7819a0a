import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, isTensor } from '../util/activity';
import { Criterion, type Target, targetTensor } from './Criterion';
import { type CriterionSpec, specOf, weightList } from '../util/moduleSpec';

/** Torch's guard inside the logs. */
const EPS = 1e-12;

/**
 * Torch's `nn.BCECriterion(weights?, sizeAverage = true)`:
 * −Σ w·(t·log(x + ε) + (1 − t)·log(1 − x + ε)), ε = 1e-12, divided by the
 * number of elements when `sizeAverage`.
 *
 * Shapes: input probabilities of any shape; target with as many elements.
 * `weights` is 1-D: for a 1-D input it weights each element, otherwise it
 * is broadcast over the last dimension (Torch's [N, C] case).
 *
 * The gradient is Torch's closed form, also under autodiff (so the fused
 * training step agrees): (x − t)·w / (x(1 + ε − x) + ε), over n when
 * averaging. Torch notes this is slightly off the loss's true derivative
 * near 0 and 1. PyTorch's BCELoss differs there too (it clamps the logs at
 * −100); elsewhere the numbers agree.
 */
export class BCECriterion extends Criterion {
  readonly typeName = 'BCECriterion';
  readonly weights?: Tensor;

  constructor(
    weights?: Tensor | number[],
    readonly sizeAverage = true,
  ) {
    super();
    if (weights) {
      const w = weights instanceof tf.Tensor ? weights.clone() : tf.tensor1d(weights);
      if (w.rank !== 1) {
        w.dispose();
        throw new TypeError('BCECriterion: weights input should be 1-D Tensor');
      }
      this.weights = tf.keep(w);
    }
  }

  override toSpec(): CriterionSpec {
    return specOf(this.typeName, [weightList(this.weights), this.sizeAverage]);
  }

  protected loss(input: Activity, target: Target): Tensor {
    if (!isTensor(input)) throw this.shapeError('a tensor of probabilities', 'a table');
    const x = input;
    const t0 = targetTensor(target, 'float32');
    if (t0.size !== x.size) throw this.shapeError(`a target of ${x.size} elements, as the input [${x.shape.join(',')}]`, t0.shape);
    const t = t0.reshape(x.shape);
    const w = this.weights;
    if (w) {
      const last = x.rank === 1 ? x.size : x.shape[x.rank - 1];
      if (w.size !== last) throw this.shapeError(`a last dimension of ${w.size} (the weights' size)`, x.shape);
    }
    const n = x.size;
    const avg = this.sizeAverage;
    const f = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
      const [xi, ti, save] = args as [Tensor, Tensor, tf.GradSaveFunc];
      save([xi, ti]);
      let terms = ti.mul(tf.log(xi.add(EPS))).add(
        tf
          .scalar(1)
          .sub(ti)
          .mul(tf.log(tf.scalar(1).sub(xi).add(EPS))),
      );
      if (w) terms = terms.mul(w);
      const total = tf.neg(tf.sum(terms));
      return {
        value: avg ? total.div(n) : total,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [xs, ts] = saved;
          // Torch: (x − t) / (x ((1 − x) + ε) + ε)
          let g = xs.sub(ts).div(xs.mul(tf.scalar(1).sub(xs).add(EPS)).add(EPS));
          if (w) g = g.mul(w);
          if (avg) g = g.div(n);
          return [g.mul(dy), tf.zerosLike(ts)];
        },
      };
    });
    return f(x, t);
  }

  override dispose(): void {
    super.dispose();
    this.weights?.dispose();
  }
}
