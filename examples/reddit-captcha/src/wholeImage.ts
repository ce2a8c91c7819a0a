import { ctcGreedy, type Module, type Tensor, tf } from '@captcha-nn/core';
import { type ImageBuffer, normalizeInto } from '@captcha-nn/data';
import { inkImage } from './denoise';
import type { RenderReader } from './evaluate';
import { ctcReading, positionalReading } from './vote';

/**
 * The whole-image route: a text model reads each whole render, and no
 * render is dropped. A fixed-length model (`cnn`, `crnn`) gives
 * per-position log-probabilities, summed over renders as for letters; a CTC
 * model (`ctc`, `blank` given) gives [T, C] log-probabilities, and renders
 * vote with each text's CTC likelihood. With `denoise` (a threshold), the
 * model reads each render's ink (`inkImage`), as it was trained.
 */
export function wholeImageReader(model: Module, opts: { blank?: number; denoise?: number; batchSize?: number } = {}): RenderReader {
  const { blank, denoise, batchSize = 64 } = opts;
  return (renders) => {
    const images = denoise === undefined ? renders : renders.map((r) => inkImage(r, denoise));
    const out: ReturnType<RenderReader> = [];
    for (let s = 0; s < images.length; s += batchSize) {
      const logp = logProbsOf(model, images.slice(s, s + batchSize), blank !== undefined);
      const [n, a, classes] = logp.shape as [number, number, number];
      const flat = logp.dataSync() as Float32Array;
      const decoded = blank === undefined ? null : ctcGreedy(logp, { blank, batchFirst: true });
      logp.dispose();
      for (let i = 0; i < n; i++) {
        const v = flat.slice(i * a * classes, (i + 1) * a * classes);
        out.push(decoded ? ctcReading(v, classes, blank!, decoded[i]!.ids) : positionalReading(v, a, classes));
      }
    }
    return out;
  };
}

/** [N, positions or T, C] log-probabilities of a batch of renders (CTC models give [T, N, C]). */
function logProbsOf(model: Module, chunk: ImageBuffer<Uint8Array>[], timeMajor: boolean): Tensor {
  const { width: W, height: H, channels: C } = chunk[0]!;
  const px = W * H * C;
  const data = new Float32Array(chunk.length * px);
  chunk.forEach((im, i) => normalizeInto(im.data, C, 'unit', data, i * px));
  const x = tf.tensor4d(data, [chunk.length, H, W, C]);
  try {
    // The module keeps its output (Torch's `output`); it is freed by the module, not here.
    const y = model.forward(x);
    return tf.tidy(() => {
      const scores = Array.isArray(y) ? tf.stack(y as Tensor[], 1) : (y as Tensor);
      return tf.logSoftmax(timeMajor ? tf.transpose(scores, [1, 0, 2]) : scores, -1);
    });
  } finally {
    x.dispose();
  }
}
