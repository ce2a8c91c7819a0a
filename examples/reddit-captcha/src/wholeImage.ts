import { type Module, type Tensor, tf } from '@captcha-nn/core';
import { normalizeInto } from '@captcha-nn/data';
import type { RenderReader } from './evaluate';

/**
 * The whole-image route: a text model (`cnn`, `crnn`) reads each whole
 * render; its per-position scores become log-probabilities, so votes sum
 * them over renders as for letters. No render is dropped.
 */
export function wholeImageReader(model: Module, batchSize = 64): RenderReader {
  return (images) => {
    const out: Array<Float32Array | null> = [];
    for (let s = 0; s < images.length; s += batchSize) {
      const chunk = images.slice(s, s + batchSize);
      const { width: W, height: H, channels: C } = chunk[0]!;
      const px = W * H * C;
      const data = new Float32Array(chunk.length * px);
      chunk.forEach((im, i) => normalizeInto(im.data, C, 'unit', data, i * px));
      const x = tf.tensor4d(data, [chunk.length, H, W, C]);
      try {
        const y = model.forward(x);
        const logp = tf.tidy(() => tf.logSoftmax(Array.isArray(y) ? tf.stack(y as Tensor[], 1) : (y as Tensor), -1));
        const flat = logp.dataSync() as Float32Array;
        const per = flat.length / chunk.length;
        for (let i = 0; i < chunk.length; i++) out.push(flat.slice(i * per, (i + 1) * per));
        logp.dispose();
      } finally {
        x.dispose();
      }
    }
    return out;
  };
}
