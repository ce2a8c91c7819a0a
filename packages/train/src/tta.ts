/**
 * Test-time augmentation: a model reads each image and transformed copies of it, and its probabilities are
 * averaged.
 * - `flip` adds the mirror image, for classifiers trained on mirrored images (`--flip`, Fashion-MNIST's default);
 *   a mirrored captcha reads backwards, so text tasks refuse it.
 * - `shift` adds the image moved up and down by `shiftRows(height)` rows, the rows that leave repeated at the
 *   other edge. A vertical move keeps a text reader's frames (columns) in place, so per-frame and per-position
 *   probabilities can be averaged as a classifier's are.
 */
import { tf, type Activity, type Module, type Tensor } from '@captcha-nn/core';
import type { TaskSpec } from './task';

export const TTA_KINDS = ['flip', 'shift'] as const;
export type TestTimeAugmentation = (typeof TTA_KINDS)[number];

/** How each kind reads an image, for reports. */
export const TTA_WORDS: Record<TestTimeAugmentation, string> = {
  flip: 'with its mirror image',
  shift: 'also moved up and down',
};

/** Throws unless `tta` is one this task can read. */
export function checkTta(spec: TaskSpec, tta: TestTimeAugmentation | undefined): void {
  if (tta === undefined) return;
  if (!(TTA_KINDS as readonly string[]).includes(tta)) throw new RangeError(`--tta must be one of ${TTA_KINDS.join(', ')}, got ${JSON.stringify(tta)}`);
  if (tta === 'flip' && spec.name !== 'classification')
    throw new Error(`--tta flip: a mirrored image reads backwards, so only a classifier can average it in; this model's task is ${spec.name}`);
  if (spec.name === 'seq2seq')
    throw new Error('--tta shift: a seq2seq decoder reads its own last output, so its steps cannot be averaged; use it without --tta');
}

/** Rows moved by `shift` for an input `height` rows high: 1/32 of it (2 at 64, 1 at 28 to 47), at least 1. */
export function shiftRows(height: number): number {
  return Math.max(1, Math.round(height / 32));
}

/** NHWC images moved down by `by` rows (up where negative), the edge row repeated into the gap. */
export function moveRows(x: Tensor, by: number): Tensor {
  return tf.tidy(() => {
    const h = x.shape[1]!;
    const k = Math.abs(by);
    if (k === 0) return x.clone();
    if (k >= h) throw new RangeError(`moveRows: cannot move ${h} rows by ${by}`);
    const edge = (row: number) => tf.tile(tf.slice(x, [0, row, 0, 0], [-1, 1, -1, -1]), [1, k, 1, 1]);
    return by > 0
      ? tf.concat([edge(0), tf.slice(x, [0, 0, 0, 0], [-1, h - k, -1, -1])], 1)
      : tf.concat([tf.slice(x, [0, k, 0, 0], [-1, h - k, -1, -1]), edge(h - 1)], 1);
  });
}

/** The copies each kind reads besides the image itself. */
function copies(x: Tensor, tta: TestTimeAugmentation): Tensor[] {
  if (tta === 'flip') return [tf.reverse(x, 2)]; // [N, H, W, C]: axis 2 is the width
  const k = shiftRows(x.shape[1]!);
  return [moveRows(x, k), moveRows(x, -k)];
}

/** The softmax over the last axis of a model output: a tensor, or a table of them (text, format `table`). */
function probabilities(out: Activity): Tensor[] {
  return (Array.isArray(out) ? (out as Tensor[]) : [out as Tensor]).map((t) => tf.softmax(t, -1));
}

/**
 * The model's output for a batch of NHWC images under `tta`: the log of the mean of the softmax over each
 * image and its copies (so that a softmax of it is the averaged probabilities), in the output's form: a tensor,
 * or a table for a model that outputs one. The caller owns the result.
 */
export function ttaForward(model: Module, tta: TestTimeAugmentation): (x: Tensor) => Activity {
  return (x) => {
    // Each forward reuses the model's output buffer, so each softmax is taken before the next forward.
    const first = model.forward(x);
    const table = Array.isArray(first);
    let sum = probabilities(first);
    const moved = copies(x, tta);
    try {
      for (const c of moved) {
        const q = probabilities(model.forward(c));
        const next = sum.map((s, i) => tf.add(s, q[i]!));
        tf.dispose([...sum, ...q]);
        sum = next;
      }
      const n = 1 + moved.length;
      const out = tf.tidy(() => sum.map((s) => tf.log(tf.div(s, n))));
      return table ? out : out[0]!;
    } finally {
      tf.dispose([...sum, ...moved]);
    }
  };
}
