import { type Module, type Tensor, tf } from '@captcha-nn/core';
import { type ImageBuffer, normalizeInto } from '@captcha-nn/data';

/** Log-probabilities [n × classes] of letter images through a model ending in LogSoftMax (batched; frees its tensors). */
export function letterLogProbs(model: Module, images: ReadonlyArray<ImageBuffer<Uint8Array>>, batchSize = 256): Float32Array[] {
  if (images.length === 0) return [];
  const { width: W, height: H, channels: C } = images[0]!;
  const out: Float32Array[] = [];
  for (let s = 0; s < images.length; s += batchSize) {
    const chunk = images.slice(s, s + batchSize);
    const px = W * H * C;
    const data = new Float32Array(chunk.length * px);
    chunk.forEach((im, i) => {
      if (im.width !== W || im.height !== H || im.channels !== C)
        throw new Error(`letterLogProbs: images of unlike sizes (${im.width}x${im.height}x${im.channels} and ${W}x${H}x${C})`);
      normalizeInto(im.data, C, 'unit', data, i * px);
    });
    const x = tf.tensor4d(data, [chunk.length, H, W, C]);
    try {
      // The module keeps its output (Torch's `output`); it is freed by the module, not here.
      const scores = model.forward(x) as Tensor;
      const flat = scores.dataSync() as Float32Array;
      const classes = scores.shape[1]!;
      for (let i = 0; i < chunk.length; i++) out.push(flat.slice(i * classes, (i + 1) * classes));
    } finally {
      x.dispose();
    }
  }
  return out;
}
