/**
 * Test-time augmentation: a classifier reads each image and transformed copies of it, and its class
 * probabilities are averaged. `flip` adds the mirror image, for classifiers trained on mirrored
 * images (`--flip`, Fashion-MNIST's default); a mirrored captcha reads backwards, so text tasks refuse it.
 */
import { tf, type Module, type Tensor } from '@captcha-nn/core';
import type { TaskSpec } from './task';

export const TTA_KINDS = ['flip'] as const;
export type TestTimeAugmentation = (typeof TTA_KINDS)[number];

/** Throws unless `tta` is one this task can read: flip is for classifiers only. */
export function checkTta(spec: TaskSpec, tta: TestTimeAugmentation | undefined): void {
  if (tta === undefined) return;
  if (!(TTA_KINDS as readonly string[]).includes(tta)) throw new RangeError(`--tta must be one of ${TTA_KINDS.join(', ')}, got ${JSON.stringify(tta)}`);
  if (spec.name !== 'classification')
    throw new Error(`--tta ${tta}: a mirrored image reads backwards, so only a classifier can average it in; this model's task is ${spec.name}`);
}

/**
 * The model's output for a batch of NHWC images under `tta`: the log of the mean of the softmax over each
 * image and its mirror (so that a softmax of it is the averaged probabilities). The caller owns the result.
 */
export function ttaForward(model: Module, tta: TestTimeAugmentation): (x: Tensor) => Tensor {
  return (x) => {
    // Each forward reuses the model's output buffer, so the first softmax is taken before the second forward.
    const p = tf.softmax(model.forward(x) as Tensor, -1);
    const mirrored = tf.reverse(x, 2); // [N, H, W, C]: axis 2 is the width
    try {
      const q = model.forward(mirrored) as Tensor;
      return tf.tidy(() => tf.log(tf.div(tf.add(p, tf.softmax(q, -1)), 2)));
    } finally {
      tf.dispose([p, mirrored]);
    }
  };
}
