import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { nextSeed } from '../util/random';
import { TransposeCache } from '../util/transposeCache';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../util/moduleSpec';

/**
 * Torch's `nn.Linear(inputSize, outputSize, bias = true)`: y = x Wᵀ + b.
 *
 * Shapes: input [N, inputSize] or [inputSize]; output [N, outputSize] or
 * [outputSize]. `weight` is [outputSize, inputSize], as in Torch and PyTorch.
 * Initialisation: uniform ±1/√inputSize, as Torch's `reset()`.
 * `forward` uses a cached Wᵀ outside autodiff; inside `tf.grad`/`tf.grads`
 * call `apply(x)` (as the fused step does), which keeps W in the graph.
 */
export class Linear extends Module {
  readonly typeName = 'Linear';
  /** Wᵀ for plain forwards (see compute). */
  private transposed = new TransposeCache();
  private plainForward = false;

  constructor(
    readonly inputSize: number,
    readonly outputSize: number,
    readonly withBias = true,
  ) {
    super();
    this.addParameter('weight', tf.zeros([outputSize, inputSize]));
    if (withBias) this.addParameter('bias', tf.zeros([outputSize]));
    this.reset();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.inputSize, this.outputSize, this.withBias]);
  }

  get weight(): Tensor {
    return this.param('weight')!.value;
  }
  get gradWeight(): Tensor {
    return this.param('weight')!.grad;
  }
  get bias(): Tensor | undefined {
    return this.param('bias')?.value;
  }
  get gradBias(): Tensor | undefined {
    return this.param('bias')?.grad;
  }

  /** Torch's `reset(stdv)`: uniform ±stdv·√3 if given (stdv is the standard deviation), else ±1/√inputSize. */
  override reset(stdv?: number): this {
    const s = stdv !== undefined ? stdv * Math.sqrt(3) : 1 / Math.sqrt(this.inputSize);
    for (const p of this.params) this.fill(p.value, () => tf.randomUniform(p.value.shape, -s, s, 'float32', nextSeed()));
    return this;
  }

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['N', this.inputSize], [this.inputSize]]);
  }

  /** A forward outside any gradient tape: `compute` may use the cached Wᵀ. */
  override updateOutput(input: Activity): Activity {
    this.plainForward = true;
    try {
      return super.updateOutput(input);
    } finally {
      this.plainForward = false;
    }
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    const x2 = x.rank === 1 ? x.reshape([1, this.inputSize]) : x;
    // wasm's matMul with transposeB transposes W on every call, which for a
    // large W costs far more than the product (docs/backends.md). A plain forward uses
    // Wᵀ cached until the weight changes; under a tape (the fused step, or
    // the gradient re-run) W must stay in the graph.
    let y = this.plainForward ? tf.matMul(x2, this.transposed.get(this.weight)) : tf.matMul(x2, this.weight, false, true);
    if (this.bias) y = y.add(this.bias);
    return x.rank === 1 ? y.reshape([this.outputSize]) : y;
  }

  override dispose(): void {
    this.transposed.dispose();
    super.dispose();
  }

  override clearState(): this {
    this.transposed.dispose();
    return super.clearState();
  }

  override toString(): string {
    return `nn.Linear(${this.inputSize} -> ${this.outputSize})${this.withBias ? '' : ' without bias'}`;
  }
}
