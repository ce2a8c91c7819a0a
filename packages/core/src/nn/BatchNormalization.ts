import type { GradSaveFunc, Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { BatchNormTrain, BatchNormTrainGrad } from '../backends/kernelNames';
import { ShapeError } from '../util/errors';
import { nextSeed } from '../util/random';
import { type Dim, Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.BatchNormalization(nOutput, eps = 1e-5, momentum = 0.1, affine = true)`:
 * normalises each feature over the batch, y = (x − mean) / √(var + eps) · weight + bias.
 *
 * Shapes: input [N, nOutput]; in evaluate mode also [nOutput]. Output has the
 * input's shape. SpatialBatchNormalization reuses this with images (NHWC):
 * every axis but the last (the feature) is reduced.
 *
 * Training: the batch mean and biased variance normalise; `running_mean` and
 * `running_var` move towards the batch mean and the unbiased batch variance
 * by `momentum` (Torch's and PyTorch's rule), and `num_batches_tracked`
 * counts the training forwards (PyTorch's buffer, so its state dicts load
 * strictly). Evaluate mode normalises with the running statistics.
 * Initialisation as Torch: weight uniform(0, 1), bias 0.
 */
interface BatchStats {
  value: Tensor;
  mean: Tensor;
  variance: Tensor;
  invstd: Tensor;
}

/** The backend's fused kernel (one kernel for the statistics and the output). */
function runBatchNormTrain(x: Tensor, weight: Tensor, bias: Tensor, eps: number): BatchStats {
  const [value, mean, variance, invstd] = tf.engine().runKernel(BatchNormTrain, { x, weight, bias }, { eps }) as Tensor[];
  return { value, mean, variance, invstd };
}

/** The same from tfjs ops, for backends without the kernel. */
function composedBatchNorm(x: Tensor, weight: Tensor, bias: Tensor, axes: number[], eps: number): BatchStats {
  const { mean, variance } = tf.moments(x, axes);
  const invstd = tf.rsqrt(variance.add(eps));
  const scale = weight.mul(invstd);
  return { value: x.mul(scale).add(bias.sub(mean.mul(scale))), mean, variance, invstd };
}

export class BatchNormalization extends Module {
  readonly typeName: string = 'BatchNormalization';

  constructor(
    readonly nOutput: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
    readonly affine = true,
  ) {
    super();
    if (!Number.isInteger(nOutput) || nOutput < 1) throw new RangeError(`nn.BatchNormalization: nOutput must be a positive integer, got ${nOutput}`);
    if (affine) {
      this.addParameter('weight', tf.zeros([nOutput]));
      this.addParameter('bias', tf.zeros([nOutput]));
    }
    this.addBuffer('running_mean', tf.zeros([nOutput]));
    this.addBuffer('running_var', tf.ones([nOutput]));
    this.addBuffer('num_batches_tracked', tf.scalar(0, 'int32'));
    this.reset();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.nOutput, this.eps, this.momentum, this.affine]);
  }

  /** Torch's `nDim`: the rank of a batch. */
  protected get nDim(): number {
    return 2;
  }

  /** The shape of a batch, e.g. `['N', nOutput]`. */
  protected batchShape(): Dim[] {
    return ['N', this.nOutput];
  }

  get weight(): Tensor | undefined {
    return this.param('weight')?.value;
  }
  get gradWeight(): Tensor | undefined {
    return this.param('weight')?.grad;
  }
  get bias(): Tensor | undefined {
    return this.param('bias')?.value;
  }
  get gradBias(): Tensor | undefined {
    return this.param('bias')?.grad;
  }
  get runningMean(): Variable {
    return this.buffer('running_mean');
  }
  get runningVar(): Variable {
    return this.buffer('running_var');
  }
  get numBatchesTracked(): Variable {
    return this.buffer('num_batches_tracked');
  }

  private buffer(name: string): Variable {
    return this.buffers.find((b) => b.name === name)!.value;
  }

  /** Torch's `reset()`: weight uniform(0, 1), bias 0, running statistics cleared. */
  override reset(): this {
    tf.tidy(() => {
      const w = this.param('weight');
      if (w) w.value.assign(tf.randomUniform([this.nOutput], 0, 1, 'float32', nextSeed()));
      this.param('bias')?.value.assign(tf.zeros([this.nOutput]));
      this.runningMean.assign(tf.zeros([this.nOutput]));
      this.runningVar.assign(tf.ones([this.nOutput]));
      this.numBatchesTracked.assign(tf.scalar(0, 'int32'));
    });
    return this;
  }

  protected override checkInput(input: Activity): void {
    const batch = this.batchShape();
    const x = this.expectShape(input, this.train ? [batch] : [batch, batch.slice(1)], this.train ? 'a mini-batch in training mode' : '');
    if (this.train) {
      const perChannel = x.size / this.nOutput;
      if (perChannel <= 1) throw new ShapeError(this.path(), 'more than 1 value per feature when training', `[${x.shape.join(',')}]`);
    }
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    if (this.train) return this.normalizeBatch(x);
    // One FusedBatchNorm kernel instead of six elementwise ones: at batch 1
    // the kernel count, not the arithmetic, is the cost (docs/results.md).
    return tf.batchNorm(x, this.runningMean, this.runningVar, this.bias, this.weight, this.eps);
  }

  /**
   * Training-mode normalisation with Torch's closed-form gradient
   * (`THNN_BatchNormalization_backward`), as a tfjs custom gradient so that
   * the fused step and the classic backward both use it. Over the M values
   * of each feature, with x̂ = (x − mean)·invstd:
   *   dbias = Σ dy,  dweight = Σ dy·x̂,
   *   dx = weight·invstd/M · (M·dy − dbias − x̂·dweight).
   * Two reductions per backward instead of the six autodiff takes through
   * mean and variance; the forward is y = x·(weight·invstd) + (bias − mean·weight·invstd).
   * Backends with the `BatchNormTrain` kernels (wasm) run each direction as one kernel.
   */
  private normalizeBatch(x: Tensor): Tensor {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const m = x.size / this.nOutput;
    const weight = this.affine ? this.weight! : tf.ones([this.nOutput]);
    const bias = this.affine ? this.bias! : tf.zeros([this.nOutput]);
    const fused = tf.getKernel(BatchNormTrain, tf.getBackend()) !== undefined;
    const forward = (xIn: Tensor, w: Tensor, b: Tensor, save: GradSaveFunc) => {
      const { value, mean, variance, invstd } = fused ? runBatchNormTrain(xIn, w, b, this.eps) : composedBatchNorm(xIn, w, b, axes, this.eps);
      if (!this.recomputing) this.updateRunningStats(mean, variance, m);
      save([xIn, mean, invstd, w]);
      return {
        value,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [xs, mu, inv, ws] = saved as [Tensor, Tensor, Tensor, Tensor];
          if (fused) return tf.engine().runKernel(BatchNormTrainGrad, { dy, x: xs, mean: mu, invstd: inv, weight: ws }) as Tensor[];
          const xhat = xs.sub(mu).mul(inv);
          const dbias = tf.sum(dy, axes);
          const dweight = tf.sum(dy.mul(xhat), axes);
          const dx = dy.mul(m).sub(dbias).sub(xhat.mul(dweight)).mul(ws.mul(inv).div(m));
          return [dx, dweight, dbias];
        },
      };
    };
    return tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0])(x, weight, bias) as Tensor;
  }

  /** running ← (1 − momentum)·running + momentum·batch, with the unbiased batch variance. */
  private updateRunningStats(mean: Tensor, variance: Tensor, n: number): void {
    const m = this.momentum;
    tf.tidy(() => {
      this.runningMean.assign(this.runningMean.mul(1 - m).add(mean.mul(m)));
      this.runningVar.assign(this.runningVar.mul(1 - m).add(variance.mul((m * n) / (n - 1))));
      this.numBatchesTracked.assign(this.numBatchesTracked.add(tf.scalar(1, 'int32')));
    });
  }

  override toString(): string {
    return `nn.${this.typeName} (${this.nDim}D) (${this.nOutput})`;
  }
}
