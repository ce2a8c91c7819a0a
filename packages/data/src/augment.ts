import type { ImageBuffer } from './image';
import { mapImages, type ImageSource } from './pipeline';
import { createRng, randFloat, type Rng } from './random';

/**
 * Random geometric and photometric jitter for training images, so that a
 * fixed set of captchas (the seed's 10,000) is not memorised: each epoch sees
 * every image under a new small affine warp and contrast change.
 *
 * Ranges are symmetric: an image is rotated by U(−rotate, rotate) degrees,
 * scaled by 1 + U(−scale, scale) (x and y separately), sheared by
 * U(−shear, shear), shifted by U(−translateX, translateX)·width and
 * U(−translateY, translateY)·height, and its contrast around the image's
 * mean is multiplied by 1 + U(−contrast, contrast). Pixels come from
 * bilinear sampling; outside the image the nearest edge pixel is used, which
 * continues a captcha's background instead of drawing a border.
 */
export interface AugmentOptions {
  rotate: number;
  scale: number;
  shear: number;
  translateX: number;
  translateY: number;
  contrast: number;
}

/**
 * Named ranges for `--augment`. `light` keeps characters inside a 50×200 seed-preset captcha.
 * `horizontal` is `light` with every move along rows only (x shift, slant, contrast), so each
 * character keeps its height and vertical position: for schemes that draw every character
 * upright at one size, where those tell look-alikes apart (svg-captcha's `I` and `l`).
 */
const LIGHT = { rotate: 3, scale: 0.05, shear: 0.1, translateX: 0.03, translateY: 0.06, contrast: 0.2 } as const;

export const AUGMENT_PRESETS = {
  none: { rotate: 0, scale: 0, shear: 0, translateX: 0, translateY: 0, contrast: 0 },
  light: LIGHT,
  strong: { rotate: 6, scale: 0.1, shear: 0.2, translateX: 0.05, translateY: 0.1, contrast: 0.35 },
  horizontal: { ...LIGHT, rotate: 0, scale: 0, translateY: 0 },
} as const satisfies Record<string, AugmentOptions>;

export type AugmentPreset = keyof typeof AUGMENT_PRESETS;

export function isAugmentPreset(name: string): name is AugmentPreset {
  return Object.hasOwn(AUGMENT_PRESETS, name);
}

/** True when the options change nothing (every range 0). */
export function isIdentityAugment(o: AugmentOptions): boolean {
  return Object.values(o).every((v) => v === 0);
}

/**
 * A jittered copy of a uint8 image (any channel count), drawing every
 * random number from `rng`. The input is not changed.
 */
export function augmentImage(img: ImageBuffer<Uint8Array>, o: AugmentOptions, rng: Rng): ImageBuffer<Uint8Array> {
  const { width: w, height: h, channels: c, data } = img;
  const theta = (randFloat(rng, -o.rotate, o.rotate) * Math.PI) / 180;
  const sx = 1 + randFloat(rng, -o.scale, o.scale);
  const sy = 1 + randFloat(rng, -o.scale, o.scale);
  const sh = randFloat(rng, -o.shear, o.shear);
  const tx = randFloat(rng, -o.translateX, o.translateX) * w;
  const ty = randFloat(rng, -o.translateY, o.translateY) * h;
  const k = 1 + randFloat(rng, -o.contrast, o.contrast);

  // Forward map about the centre: p' = R·Sh·S·(p − c) + c + t. Sample with its inverse.
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  // R·Sh = [[cos, cos·sh − sin], [sin, sin·sh + cos]], then ·diag(sx, sy).
  const a = cos * sx;
  const b = (cos * sh - sin) * sy;
  const cc = sin * sx;
  const d = (sin * sh + cos) * sy;
  const det = a * d - b * cc;
  const ia = d / det;
  const ib = -b / det;
  const ic = -cc / det;
  const id = a / det;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;

  let mean = 0;
  if (k !== 1) {
    for (let i = 0; i < data.length; i++) mean += data[i]!;
    mean /= data.length;
  }
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    const qy = y - cy - ty;
    for (let x = 0; x < w; x++) {
      const qx = x - cx - tx;
      // Source position, clamped to the image: edge pixels continue outwards.
      const u = Math.min(w - 1, Math.max(0, ia * qx + ib * qy + cx));
      const v = Math.min(h - 1, Math.max(0, ic * qx + id * qy + cy));
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const x1 = Math.min(w - 1, x0 + 1);
      const y1 = Math.min(h - 1, y0 + 1);
      const fx = u - x0;
      const fy = v - y0;
      const o00 = (y0 * w + x0) * c;
      const o01 = (y0 * w + x1) * c;
      const o10 = (y1 * w + x0) * c;
      const o11 = (y1 * w + x1) * c;
      const dst = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) {
        const top = data[o00 + ch]! + (data[o01 + ch]! - data[o00 + ch]!) * fx;
        const bottom = data[o10 + ch]! + (data[o11 + ch]! - data[o10 + ch]!) * fx;
        const p = top + (bottom - top) * fy;
        // Uint8Array stores modulo 256: clamp and round first.
        out[dst + ch] = Math.max(0, Math.min(255, Math.round(mean + (p - mean) * k)));
      }
    }
  }
  return { data: out, width: w, height: h, channels: c };
}

/**
 * The source with every image jittered by `augmentImage`. Image i of epoch
 * `epoch` always gets the same jitter (rng keyed by seed, epoch and i), so
 * a resumed run sees the same images as an uninterrupted one.
 */
export function augmentSource(source: ImageSource, o: AugmentOptions, opts: { seed: string | number; epoch: number }): ImageSource {
  if (isIdentityAugment(o)) return source;
  return mapImages(source, (image, i) => augmentImage(image, o, createRng('augment', opts.seed, opts.epoch, i)));
}
