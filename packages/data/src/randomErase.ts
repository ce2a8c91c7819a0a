import type { ImageBuffer } from './image';
import { mapImages, type ImageSource } from './pipeline';
import { createRng, randFloat, randInt, type Rng } from './random';

/**
 * Random erasing (Zhong et al., AAAI 2020): with probability `probability`,
 * one rectangle of the image is filled with uniform random pixel values.
 * Its area is U(areaMin, areaMax) of the image's and its aspect ratio (height
 * over width) U(aspectMin, 1/aspectMin); a draw that does not fit is drawn
 * again, up to 100 times. The paper's defaults: 0.02, 0.4 and 0.3.
 */
export interface RandomEraseOptions {
  probability: number;
  areaMin?: number;
  areaMax?: number;
  aspectMin?: number;
}

const DEFAULTS = { areaMin: 0.02, areaMax: 0.4, aspectMin: 0.3 };
const ATTEMPTS = 100;

/** Throws a RangeError naming the option that is out of range. */
export function checkRandomErase(o: RandomEraseOptions): void {
  const { areaMin, areaMax, aspectMin } = { ...DEFAULTS, ...o };
  if (!(o.probability >= 0 && o.probability <= 1)) throw new RangeError(`random erasing: probability must be in [0, 1], got ${o.probability}`);
  if (!(areaMin > 0 && areaMin <= areaMax && areaMax <= 1))
    throw new RangeError(`random erasing: need 0 < areaMin <= areaMax <= 1, got ${areaMin} and ${areaMax}`);
  if (!(aspectMin > 0 && aspectMin <= 1)) throw new RangeError(`random erasing: aspectMin must be in (0, 1], got ${aspectMin}`);
}

/**
 * A copy of a uint8 image (any channel count) with at most one rectangle
 * erased. Draws, in order: whether to erase, then per attempt the area,
 * the aspect ratio and the corner, then the fill values.
 */
export function randomEraseImage(img: ImageBuffer<Uint8Array>, o: RandomEraseOptions, rng: Rng): ImageBuffer<Uint8Array> {
  const { areaMin, areaMax, aspectMin } = { ...DEFAULTS, ...o };
  const { width: w, height: h, channels: c } = img;
  const data = Uint8Array.from(img.data);
  if (rng() >= o.probability) return { ...img, data };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const area = randFloat(rng, areaMin, areaMax) * w * h;
    const aspect = randFloat(rng, aspectMin, 1 / aspectMin);
    const eh = Math.round(Math.sqrt(area * aspect));
    const ew = Math.round(Math.sqrt(area / aspect));
    const x0 = randInt(rng, 0, w - 1);
    const y0 = randInt(rng, 0, h - 1);
    if (ew < 1 || eh < 1 || x0 + ew > w || y0 + eh > h) continue;
    for (let y = y0; y < y0 + eh; y++) for (let i = (y * w + x0) * c; i < (y * w + x0 + ew) * c; i++) data[i] = randInt(rng, 0, 255);
    break;
  }
  return { ...img, data };
}

/**
 * The source with `randomEraseImage` applied to every image. Image i of
 * epoch `epoch` always gets the same draw (rng keyed by seed, epoch and i),
 * so a resumed run sees the same images.
 */
export function randomEraseSource(source: ImageSource, o: RandomEraseOptions, opts: { seed: string | number; epoch: number }): ImageSource {
  checkRandomErase(o);
  if (o.probability === 0) return source;
  return mapImages(source, (image, i) => randomEraseImage(image, o, createRng('random-erase', opts.seed, opts.epoch, i)));
}
