import type { Tensor } from '@tensorflow/tfjs-core';
import { type ModuleSpec, specOf } from '../util/moduleSpec';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { nextSeed } from '../util/random';
import { Module } from '../nn/Module';

/**
 * rnn's `nn.LookupTableMaskZero(nIndex, nOutput)`: an embedding where index 0
 * is padding and gives a zero vector (with zero gradient), and indices
 * 1..nIndex select rows 1..nIndex of `weight` [nIndex + 1, nOutput] — PyTorch's
 * `nn.Embedding(nIndex + 1, nOutput, padding_idx=0)` with the same keys and
 * layout. (Index 0 is reserved as in Torch, so real symbols count from 1.)
 *
 * Shapes: input [N] or [N, L] integer indices; output [N, nOutput] or
 * [N, L, nOutput]. Initialisation as Torch's LookupTable: normal(0, 1), row 0 zero.
 * Zero rows then make downstream `MaskZero`/`maskZero()` modules skip the padding.
 */
export class LookupTableMaskZero extends Module {
  readonly typeName: string = 'LookupTableMaskZero';

  constructor(
    readonly nIndex: number,
    readonly nOutput: number,
  ) {
    super();
    this.addParameter('weight', tf.zeros([nIndex + 1, nOutput]));
    this.reset();
  }

  override toSpec(): ModuleSpec {
    return specOf(this.typeName, [this.nIndex, this.nOutput]);
  }

  get weight(): Tensor {
    return this.param('weight')!.value;
  }

  get gradWeight(): Tensor {
    return this.param('weight')!.grad;
  }

  override reset(stdv = 1): this {
    const w = this.param('weight')!.value;
    this.fill(w, () => {
      const r = tf.randomNormal([this.nIndex, this.nOutput], 0, stdv, 'float32', nextSeed());
      return tf.concat([tf.zeros([1, this.nOutput]), r], 0);
    });
    return this;
  }

  protected override checkInput(input: Activity): void {
    this.expectShape(input, [['N'], ['N', 'L']]);
  }

  protected compute(input: Activity): Tensor {
    const idx = (input as Tensor).cast('int32');
    const out = tf.gather(this.weight, idx);
    const keep = tf.notEqual(idx, 0).cast('float32').expandDims(-1);
    return out.mul(keep);
  }
}
