/** `predict --attention-png`: the attention pictures of examples/seq2seq-captcha for the images read. */
import { writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { ImageBuffer } from '@captcha-nn/data';
import { attentionMap, attentionPng, EncoderDecoder } from '@captcha-nn/example-seq2seq-captcha';
import type { LoadedCaptchaModel } from '@captcha-nn/train';

/** Where the picture of `image` goes: `out` for one image, else `out` with the image's name added before the extension. */
export function pictureFile(out: string, image: string, several: boolean): string {
  if (!several) return out;
  const ext = extname(out) || '.png';
  return `${out.slice(0, out.length - extname(out).length)}-${basename(image, extname(image))}${ext}`;
}

/** Writes one picture per readable image; returns the files written. Throws if the model has no attention. */
export async function writeAttentionPictures(
  m: LoadedCaptchaModel,
  images: string[],
  out: string,
  load: (file: string, m: LoadedCaptchaModel) => Promise<ImageBuffer<Uint8Array>>,
): Promise<string[]> {
  if (!(m.model instanceof EncoderDecoder) || !m.model.attention)
    throw new Error(`--attention-png: the model in ${m.dir} (${m.metadata.model.name}) has no attention; train one with --model attention`);
  const written: string[] = [];
  for (const file of images) {
    let img: ImageBuffer<Uint8Array>;
    try {
      img = await load(file, m);
    } catch {
      continue; // predict has reported it
    }
    const target = pictureFile(out, file, images.length > 1);
    await writeFile(target, await attentionPng(img, attentionMap(m.model, img, m.encoder)));
    written.push(target);
  }
  return written;
}
