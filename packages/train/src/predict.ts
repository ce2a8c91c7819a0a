/** Reading image files with a saved model (the library form of `captcha-nn predict`). */
import { tf, type Activity, type Tensor } from '@captcha-nn/core';
import { decodeImage, normalizeInto, readImageFile, type ImageBuffer } from '@captcha-nn/data';
import { textOf } from './metrics';
import { checkDecodeOptions, type DecodeOptions } from './task';
import type { LoadedCaptchaModel } from './modelio';
import { checkTta, ttaForward, type TestTimeAugmentation } from './tta';

export interface Prediction {
  file: string;
  text: string;
  /** The reading's probability as the model's task estimates it (fixed-length text: the product over the positions; CTC: see ctcTask). */
  confidence: number;
  /** Why the file could not be read; the message names the file. */
  error?: string;
}

/** An image file prepared as the model's training data was: channels, size, x/255. Errors name the file. */
export async function loadImageFor(file: string, m: LoadedCaptchaModel): Promise<ImageBuffer<Uint8Array>> {
  const prep = m.metadata.preprocessing;
  return decodeImage(await readImageFile(file), {
    channels: prep.channels,
    polarity: prep.polarity ?? 'keep',
    size: { width: prep.width, height: prep.height },
    fit: prep.fit ?? 'resize',
    name: file,
  });
}

/** One CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
export const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Predictions as CSV: a header `file,text,confidence,error`, one row per file (error empty when read). */
export function predictionsCsv(preds: readonly Prediction[]): string {
  const rows = preds.map((p) => [p.file, p.text, p.error ? '' : p.confidence.toFixed(6), p.error ?? ''].map(csvField).join(','));
  return `file,text,confidence,error\n${rows.join('\n')}\n`;
}

/**
 * Reads every file (library form of `captcha-nn predict`); unreadable files get `error`.
 * `tta`: test-time augmentation, as `evaluateRun` takes it (tta.ts). `forward`
 * computes the model's output for a batch in its place, such as a
 * DataParallelTable's `forward` over worker threads; its tensors are disposed here.
 */
export async function predictFiles(
  m: LoadedCaptchaModel,
  files: string[],
  batchSize = 32,
  decode?: DecodeOptions,
  tta?: TestTimeAugmentation,
  forward?: (x: Tensor) => Promise<Activity>,
): Promise<Prediction[]> {
  checkDecodeOptions(m.task.spec, decode);
  checkTta(m.task.spec, tta);
  if (tta && forward) throw new Error('predictFiles: give tta or forward, not both (test-time augmentation reads on this thread)');
  if (forward && m.task.configureModel)
    throw new Error(`predictFiles: a ${m.task.spec.name} model is configured to decode on this thread, so it cannot read through forward`);
  const augmented = tta ? ttaForward(m.model, tta) : forward;
  m.task.configureModel?.(m.model, decode);
  const { height: H, width: W, channels: C } = m.metadata.input;
  const out: Prediction[] = [];
  for (let s = 0; s < files.length; s += batchSize) {
    const chunk = files.slice(s, s + batchSize);
    const images = await Promise.all(
      chunk.map(async (f) => {
        try {
          return { f, img: await loadImageFor(f, m) };
        } catch (e) {
          const message = (e as Error).message;
          return { f, error: message.startsWith(f) ? message : `${f}: ${message}` };
        }
      }),
    );
    const good = images.filter((x): x is { f: string; img: ImageBuffer<Uint8Array> } => 'img' in x && !!x.img);
    const results = new Map<string, Prediction>();
    if (good.length) {
      const px = H * W * C;
      const data = new Float32Array(good.length * px);
      good.forEach((g, i) => normalizeInto(g.img.data, C, 'unit', data, i * px));
      const x = tf.tensor4d(data, [good.length, H, W, C]);
      let output: Activity | undefined;
      try {
        output = augmented ? await augmented(x) : m.model.forward(x);
        const d = m.task.decode(output, decode);
        good.forEach((g, i) => results.set(g.f, { file: g.f, ...textOf(d[i]!, m.encoder) }));
      } finally {
        x.dispose();
        if (augmented && output) tf.dispose(output);
      }
    }
    for (const im of images) out.push(results.get(im.f) ?? { file: im.f, text: '', confidence: 0, error: 'error' in im ? im.error : 'not read' });
  }
  return out;
}
