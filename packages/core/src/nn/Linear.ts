import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { nextSeed } from '../util/random';
import { Module } from './Module';
import { type ModuleSpec, specOf } from '../io/specFormat';

/**
 * Torch's `nn.Linear(inputSize, outputSize, bias = true)`: y = x Wᵀ + b.
 *
 * Shapes: input [N, inputSize] or [inputSize]; output [N, outputSize] or
 * [outputSize]. `weight` is [outputSize, inputSize], as in Torch and PyTorch.
 * Initialisation: uniform ±1/√inputSize, as Torch's `reset()`.
 */
export class Linear extends Module {
  readonly typeName = 'Linear';

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

  override reset(stdv = 1 / Math.sqrt(this.inputSize)): this {
    for (const p of this.params)
      this.fill(p.value, () => tf.randomUniform(p.value.shape, -stdv, stdv, 'float32', nextSeed()));
    return this;
  }

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['N', this.inputSize], [this.inputSize]]);
  }

  protected compute(input: Activity): Tensor {
    const x = input as Tensor;
    const x2 = x.rank === 1 ? x.reshape([1, this.inputSize]) : x;
    let y = tf.matMul(x2, this.weight, false, true);
    if (this.bias) y = y.add(this.bias);
    return x.rank === 1 ? y.reshape([this.outputSize]) : y;
  }

  override toString(): string {
    return `nn.Linear(${this.inputSize} -> ${this.outputSize})${this.withBias ? '' : ' without bias'}`;
  }
}
