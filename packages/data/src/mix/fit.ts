import { canvasFactory } from '../canvas';
import { containBox } from '../loader/decode';
import { compositeOver, makeBackground } from '../simple/effects';

/**
 * Opaque RGBA of `width`x`height` from an image of another size, fitted as
 * the folder loader's fit 'contain' does (`containBox`: shrunk by one factor
 * if larger, aspect ratio kept, never stretched or enlarged, centred on
 * white; the same matte training uses for transparent pixels). An image of
 * the same size is only flattened onto white.
 */
export function containRGBA(rgba: Uint8Array | Uint8ClampedArray, w: number, h: number, width: number, height: number): Uint8ClampedArray {
  if (rgba.length !== w * h * 4) throw new Error(`containRGBA: expected ${w * h * 4} RGBA bytes for ${w}x${h}, got ${rgba.length}`);
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
  const b = containBox(w, h, width, height);
  // Both factories' canvases are drawable images; the shared type only names the context.
  ctx.drawImage(src as never, b.x, b.y, b.width, b.height);
  return ctx.getImageData(0, 0, width, height).data;
}
