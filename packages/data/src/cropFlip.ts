import type { ImageBuffer } from './image';
import { mapImages, type ImageSource } from './pipeline';
import { createRng, randInt, type Rng } from './random';

/**
 * The standard augmentation of the MNIST/CIFAR papers: pad the image by
 * `pad` pixels of zeros on every side and crop the original size back out at
 * a random offset (a shift of −pad..pad in x and y), and with `flip` mirror
 * it left to right half the time (Fashion-MNIST; never digits).
 */
export interface CropFlipOptions {
  pad: number;
  flip: boolean;
}

/**
 * A randomly shifted (and maybe mirrored) copy of a uint8 image. Draws, in
 * order: the x shift, the y shift, then (with `flip`) whether to mirror.
 */
export function cropFlipImage(img: ImageBuffer<Uint8Array>, o: CropFlipOptions, rng: Rng): ImageBuffer<Uint8Array> {
  const { width: w, height: h, channels: c, data } = img;
  const dx = randInt(rng, -o.pad, o.pad);
  const dy = randInt(rng, -o.pad, o.pad);
  const mirror = o.flip && rng() < 0.5;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < w; x++) {
      const shifted = x - dx;
      if (shifted < 0 || shifted >= w) continue;
      const sx = mirror ? w - 1 - shifted : shifted;
      const src = (sy * w + sx) * c;
      const dst = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) out[dst + ch] = data[src + ch]!;
    }
  }
  return { data: out, width: w, height: h, channels: c };
}

/** Throws a RangeError unless `pad` is an integer 0 <= pad < the image's sides. */
export function checkCropFlip(o: CropFlipOptions, width: number, height: number): void {
  if (!Number.isInteger(o.pad) || o.pad < 0 || o.pad >= Math.min(width, height))
    throw new RangeError(`crop padding must be an integer from 0 to ${Math.min(width, height) - 1}, got ${o.pad}`);
}

/**
 * The source with every image shifted and maybe mirrored by `cropFlipImage`.
 * Image i of epoch `epoch` always gets the same draw (rng keyed by seed,
 * epoch and i), so a resumed run sees the same images.
 */
export function cropFlipSource(source: ImageSource, o: CropFlipOptions, opts: { seed: string | number; epoch: number }): ImageSource {
  checkCropFlip(o, source.width, source.height);
  if (o.pad === 0 && !o.flip) return source;
  return mapImages(source, (image, i) => cropFlipImage(image, o, createRng('crop-flip', opts.seed, opts.epoch, i)));
}
