import type { ImageBuffer } from '@captcha-nn/data';
import type { Mask } from './components';

/**
 * The ink of a white-on-black captcha: pixels at least `threshold` bright.
 * The warped one-pixel grid lines are blurred by two bilinear warps into
 * dimmer pixels than the bold text strokes, so a threshold removes most of
 * them; connected components drop what is left.
 */
export function denoise(image: ImageBuffer<Uint8Array>, threshold: number): Mask {
  if (image.channels !== 1) throw new Error(`denoise: expected a one-channel (gray) image, got ${image.channels} channels`);
  if (!(threshold >= 0 && threshold <= 255)) throw new RangeError(`denoise: threshold must be in 0..255, got ${threshold}`);
  const data = new Uint8Array(image.width * image.height);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i]! >= threshold ? 1 : 0;
  return { data, width: image.width, height: image.height };
}

/** The ink of `image` as a gray image: 255 where denoise finds ink, 0 elsewhere (what whole-image models read). */
export function inkImage(image: ImageBuffer<Uint8Array>, threshold: number): ImageBuffer<Uint8Array> {
  const { data, width, height } = denoise(image, threshold);
  for (let i = 0; i < data.length; i++) data[i] = data[i]! * 255;
  return { data, width, height, channels: 1 };
}
