/**
 * How an image of one size becomes a model input of another, as the folder
 * loader (`decodeImage`), the mix generator and the browser page all do it,
 * so that reading fits images as training did.
 */
import { canvasFactory } from './canvas';
import type { PixelBox } from './polarity';
import { compositeOver, makeBackground } from './simple/effects';

/**
 * 'resize': stretched to the size; 'contain': shrunk if larger, aspect ratio kept, centred on a white
 * matte; 'scale': as 'contain', and a smaller image enlarged until one side fills the size.
 */
export type Fit = 'resize' | 'contain' | 'scale';

export const FITS: readonly Fit[] = ['resize', 'contain', 'scale'];

/**
 * Where fit 'contain' draws a `w`x`h` image on a `W`x`H` canvas: shrunk by
 * min(W/w, H/h, 1) (aspect ratio kept, never enlarged), rounded to whole
 * pixels, centred (the odd pixel of padding goes right / below). With
 * `enlarge` (fit 'scale') the factor is min(W/w, H/h), so a smaller image grows.
 */
export function containBox(w: number, h: number, W: number, H: number, enlarge = false): PixelBox {
  const s = Math.min(W / w, H / h, enlarge ? Number.POSITIVE_INFINITY : 1);
  const width = Math.min(W, Math.max(1, Math.round(w * s)));
  const height = Math.min(H, Math.max(1, Math.round(h * s)));
  return { x: Math.floor((W - width) / 2), y: Math.floor((H - height) / 2), width, height };
}

/** Where `fit` draws a `w`x`h` image on a `W`x`H` canvas; the rest is matte. */
export function fittedBox(w: number, h: number, W: number, H: number, fit: Fit): PixelBox {
  if (fit === 'resize') return { x: 0, y: 0, width: W, height: H };
  if (!FITS.includes(fit)) throw new Error(`fit must be one of ${FITS.join(', ')}; got ${JSON.stringify(fit)}`);
  return containBox(w, h, W, H, fit === 'scale');
}

/**
 * Opaque RGBA of `width`x`height` from a `w`x`h` image, drawn in `fittedBox`
 * on white (the matte training uses for transparent pixels too). An image of
 * the same size is only flattened onto white.
 */
export function fitRGBA(rgba: Uint8Array | Uint8ClampedArray, w: number, h: number, width: number, height: number, fit: Fit = 'contain'): Uint8ClampedArray {
  if (rgba.length !== w * h * 4) throw new Error(`fitRGBA: expected ${w * h * 4} RGBA bytes for ${w}x${h}, got ${rgba.length}`);
  const b = fittedBox(w, h, width, height, fit);
  const out = makeBackground({ type: 'flat', color: 'white' }, width, height);
  if (w === width && h === height) {
    compositeOver(out, rgba instanceof Uint8ClampedArray ? rgba : new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length));
    return out;
  }
  const factory = canvasFactory();
  const src = factory.createCanvas(w, h);
  const sctx = src.getContext('2d');
  const img = sctx.createImageData(w, h);
  img.data.set(rgba);
  sctx.putImageData(img, 0, 0);
  const dst = factory.createCanvas(width, height);
  const ctx = dst.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, width, height);
  // Both factories' canvases are drawable images; the shared type only names the context.
  ctx.drawImage(src as never, b.x, b.y, b.width, b.height);
  return ctx.getImageData(0, 0, width, height).data;
}
