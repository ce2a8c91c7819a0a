import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';

/**
 * Transposed copies of weights, remade only when a weight's data changes
 * (`Variable.assign` gives it a new dataId): wasm's matMul is several times
 * slower with `transposeB` than on a pre-transposed [in, out] matrix.
 * Not for use under a gradient tape (the copies are made outside it).
 */
export class TransposeCache {
  private entries = new Map<Tensor, { dataId: unknown; t: Tensor }>();

  get(w: Tensor): Tensor {
    const e = this.entries.get(w);
    if (e && e.dataId === w.dataId && !e.t.isDisposed) return e.t;
    e?.t.dispose();
    const t = tf.keep(tf.transpose(w));
    this.entries.set(w, { dataId: w.dataId, t });
    return t;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.t.dispose();
    this.entries.clear();
  }
}
