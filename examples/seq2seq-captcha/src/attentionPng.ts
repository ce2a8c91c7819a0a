/**
 * Where the attention model looks: one row per decoder step (each character
 * read, then the end symbol), the image with its feature columns tinted by
 * that step's attention weight. Drawn with @napi-rs/canvas, as the training
 * curves are.
 */
import { createCanvas } from '@napi-rs/canvas';
import { tf } from '@captcha-nn/core';
import { normalizeInto, type ImageBuffer, type LabelEncoder } from '@captcha-nn/data';
import type { EncoderDecoder } from './encoderDecoder';

/** One image's greedy reading and its attention weights per step (up to and including the end symbol). */
export interface AttentionMap {
  /** The characters read, then '' for the end symbol (absent if the decoder never ended). */
  steps: string[];
  /** steps.length rows of S weights over the feature columns, left to right. */
  weights: number[][];
  /** The text read. */
  text: string;
}

/** The greedy reading of one image (as the model's training data was prepared) and its attention weights. */
export function attentionMap(model: EncoderDecoder, image: ImageBuffer<Uint8Array>, encoder: LabelEncoder): AttentionMap {
  const { width: W, height: H, channels: C } = image;
  const x = tf.tensor4d(normalizeInto(image.data, C, 'unit'), [1, H, W, C]);
  const trace = model.evaluate().attentionTrace(x);
  try {
    const tokens = trace.tokens.dataSync();
    const [, T, S] = trace.weights.shape as [number, number, number];
    const w = trace.weights.dataSync();
    const steps: string[] = [];
    const weights: number[][] = [];
    const ids: number[] = [];
    for (let t = 0; t < T; t++) {
      const end = tokens[t] === model.end;
      steps.push(end ? '' : encoder.decode([tokens[t]!]));
      weights.push(Array.from(w.subarray(t * S, (t + 1) * S)));
      if (end) break;
      ids.push(tokens[t]!);
    }
    return { steps, weights, text: encoder.decode(ids) };
  } finally {
    tf.dispose([x, trace.tokens, trace.logProbs, trace.weights]);
  }
}

/**
 * The attention picture as PNG bytes: a title with the text read, then a
 * row per step, the step's character on the left, the image (scaled by
 * `scale`) tinted red over each feature column by the column's weight
 * (relative to the step's largest).
 */
export async function attentionPng(image: ImageBuffer<Uint8Array>, map: AttentionMap, scale = 3): Promise<Buffer> {
  const { width: W, height: H, channels: C } = image;
  const margin = 48;
  const rowH = H * scale + 6;
  const top = 28;
  const canvas = createCanvas(margin + W * scale + 8, top + rowH * map.steps.length + 4);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  // the image in RGBA, drawn once, then copied scaled into each row
  const src = createCanvas(W, H);
  const sctx = src.getContext('2d');
  const rgba = sctx.createImageData(W, H);
  for (let i = 0; i < W * H; i++) {
    for (let k = 0; k < 3; k++) rgba.data[i * 4 + k] = image.data[i * C + (C === 1 ? 0 : k)]!;
    rgba.data[i * 4 + 3] = 255;
  }
  sctx.putImageData(rgba, 0, 0);
  ctx.fillStyle = 'black';
  ctx.font = 'bold 14px sans-serif';
  ctx.fillText(`read "${map.text}": attention over the feature columns at each step`, 6, 18);
  ctx.imageSmoothingEnabled = false;
  map.steps.forEach((ch, t) => {
    const y = top + t * rowH;
    ctx.drawImage(src, margin, y, W * scale, H * scale);
    const ws = map.weights[t]!;
    const max = Math.max(...ws, 1e-12);
    const colW = (W * scale) / ws.length;
    ws.forEach((v, s) => {
      ctx.fillStyle = `rgba(255, 0, 0, ${((0.65 * v) / max).toFixed(3)})`;
      ctx.fillRect(margin + s * colW, y, colW, H * scale);
    });
    ctx.fillStyle = 'black';
    ctx.font = ch === '' ? 'italic 12px sans-serif' : 'bold 20px monospace';
    ctx.fillText(ch === '' ? 'end' : ch, 8, y + (H * scale) / 2 + 7);
  });
  return canvas.encode('png');
}
