/**
 * Reading captchas with a model folder saved by `captcha-nn train`: the
 * metadata's preprocessing (channels, fit, polarity, x/255), and decoding
 * its outputs into characters with their probabilities and top-3
 * alternatives. Used by the page and the training worker.
 */
import { type Activity, type Module, type Tensor, tf } from '@captcha-nn/core';
import { FITS, type Fit, fromRGBA, LabelEncoder, normalizeInto, type PixelBox, type Polarity, withPolarity } from '@captcha-nn/data/browser';

/** The part of `best/model.json`'s metadata the page needs (train's CaptchaModelMetadata). */
export interface CaptchaMeta {
  kind: 'captcha-nn-captcha-model';
  charset: string;
  length: number;
  task: { name: 'text'; format: 'tensor' | 'table' } | { name: 'classification' };
  input: { height: number; width: number; channels: number };
  preprocessing: {
    channels: 'gray' | 'rgb';
    width: number;
    height: number;
    /** How other-sized images were fitted in training (absent in older models: 'resize'). */
    fit?: Fit;
    normalize: 'unit';
    matte?: string;
    polarity?: Polarity;
  };
  training?: Record<string, unknown>;
  model?: { name: string; variant: string };
}

export interface Alternative {
  char: string;
  prob: number;
}

export interface CharReading {
  char: string;
  prob: number;
  /** The three most probable characters ('' for the blank), most probable first. */
  top: Alternative[];
}

export interface Reading {
  text: string;
  chars: CharReading[];
  /** Product of the chosen characters' probabilities (as `captcha-nn predict`). */
  confidence: number;
}

/** Checks that a model folder's metadata is one this page can read. */
export function checkMeta(raw: Record<string, unknown>, where: string): CaptchaMeta {
  const m = raw as unknown as CaptchaMeta;
  if (m?.kind !== 'captcha-nn-captcha-model') throw new Error(`${where}: no captcha-nn captcha metadata (was it saved by 'captcha-nn train'?)`);
  if (m.task?.name !== 'text') throw new Error(`${where}: the page reads text models; this one is '${String(m.task?.name)}'`);
  if (m.preprocessing.normalize !== 'unit') throw new Error(`${where}: unsupported normalisation '${String(m.preprocessing.normalize)}' (unit)`);
  const fit = m.preprocessing.fit;
  if (fit !== undefined && !FITS.includes(fit)) throw new Error(`${where}: unsupported fit '${String(fit)}' (${FITS.join(', ')})`);
  return m;
}

/**
 * RGBA pixels already at the model's input size → the model's input values
 * (channels as trained, transparency over white, a dark background inverted
 * when the model was trained so, x/255) written at `offset`. `box` is where
 * the picture lies when it was fitted onto a matte: only it is judged and
 * inverted, as in training.
 */
export function inputFromRGBA(
  meta: CaptchaMeta,
  rgba: Uint8ClampedArray | Uint8Array,
  out: Float32Array,
  offset = 0,
  box: PixelBox = { x: 0, y: 0, width: meta.input.width, height: meta.input.height },
): void {
  const { width, height, channels } = meta.input;
  const img = withPolarity(
    fromRGBA(rgba, width, height, meta.preprocessing.channels, meta.preprocessing.matte ?? 'white'),
    meta.preprocessing.polarity ?? 'keep',
    box,
  );
  normalizeInto(img.data, channels, 'unit', out, offset);
}

/** [N, L, C] probabilities from the model's output (a table of L [N, C] log-probabilities, or [N, L, C] scores). */
export function probabilities(output: Activity): Tensor {
  return tf.tidy(() => tf.softmax(Array.isArray(output) ? tf.stack(output as Tensor[], 1) : (output as Tensor), -1));
}

/** Reads a batch: `x` is [N, H, W, C]. The model must be in evaluate mode. */
export async function readBatch(model: Module, meta: CaptchaMeta, x: Tensor): Promise<Reading[]> {
  const probs = tf.tidy(() => probabilities(model.forward(x)));
  const [n, length, classes] = probs.shape as [number, number, number];
  const { values, indices } = tf.topk(probs, Math.min(3, classes));
  try {
    const [v, i] = await Promise.all([values.data(), indices.data()]);
    const charOf = (c: number) => meta.charset[c] ?? '';
    const k = values.shape[2]!;
    const out: Reading[] = [];
    for (let s = 0; s < n; s++) {
      const chars: CharReading[] = [];
      for (let p = 0; p < length; p++) {
        const at = (s * length + p) * k;
        const top = Array.from({ length: k }, (_, j) => ({ char: charOf(i[at + j]!), prob: v[at + j]! }));
        chars.push({ char: top[0]!.char, prob: top[0]!.prob, top });
      }
      out.push({ text: chars.map((c) => c.char).join(''), chars, confidence: chars.reduce((a, c) => a * c.prob, 1) });
    }
    return out;
  } finally {
    probs.dispose();
    values.dispose();
    indices.dispose();
  }
}

/** Class ids of labels, blank-padded to the model's length: [N, L] int32 (the training target). */
export function labelIds(meta: CaptchaMeta, labels: string[]): Int32Array {
  const enc = new LabelEncoder(meta.charset);
  const out = new Int32Array(labels.length * meta.length);
  labels.forEach((l, i) => enc.encode(l, meta.length, out, i * meta.length));
  return out;
}
