import { BatchNormalization } from './BatchNormalization';
import type { Dim } from './Module';

/**
 * Torch's `nn.SpatialBatchNormalization(nOutput, eps = 1e-5, momentum = 0.1, affine = true)`:
 * BatchNormalization per feature plane, over the batch and all pixels.
 *
 * Shapes: input [N, H, W, nOutput] (NHWC); in evaluate mode also
 * [H, W, nOutput]. Output has the input's shape. Statistics, buffers and
 * initialisation as BatchNormalization (PyTorch's BatchNorm2d state dict).
 */
export class SpatialBatchNormalization extends BatchNormalization {
  override readonly typeName: string = 'SpatialBatchNormalization';

  protected override get nDim(): number {
    return 4;
  }

  protected override batchShape(): Dim[] {
    return ['N', 'H', 'W', this.nOutput];
  }
}
