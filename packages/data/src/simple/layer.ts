import type { ImageData } from '@napi-rs/canvas';
import { canvasFactory, type CanvasLike, type Context2D } from '../canvas';

/**
 * One image being drawn: a canvas (skia in Node, OffscreenCanvas in a browser) for vector drawing (text, lines) and a
 * JS copy of its pixels for pixel effects. Switching between the two costs
 * one getImageData/putImageData, done lazily only when the kind of step changes.
 */
export class Layer {
  readonly canvas: CanvasLike;
  readonly ctx: Context2D;
  private img: ImageData | null = null;
  private scratchBuf: Uint8ClampedArray | null = null;
  private spareBuf: Uint8ClampedArray | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.canvas = canvasFactory().createCanvas(width, height);
    this.ctx = this.canvas.getContext('2d');
  }

  /** The 2D context, with any pixel edits written back first. */
  context(): Context2D {
    if (this.img) {
      this.ctx.putImageData(this.img, 0, 0);
      this.img = null;
    }
    return this.ctx;
  }

  /** Unpremultiplied RGBA pixels; edits in place are kept. */
  pixels(): Uint8ClampedArray {
    if (!this.img) this.img = this.ctx.getImageData(0, 0, this.width, this.height);
    return this.img.data;
  }

  /** A reusable buffer the size of the pixels, holding a copy of them. */
  snapshot(): Uint8ClampedArray {
    const px = this.pixels();
    if (!this.scratchBuf || this.scratchBuf.length !== px.length) this.scratchBuf = new Uint8ClampedArray(px.length);
    this.scratchBuf.set(px);
    return this.scratchBuf;
  }

  /** A second reusable buffer the size of the pixels, for an effect's output; its contents are left over. */
  spare(): Uint8ClampedArray {
    const n = this.width * this.height * 4;
    if (!this.spareBuf || this.spareBuf.length !== n) this.spareBuf = new Uint8ClampedArray(n);
    return this.spareBuf;
  }

  /** Clears to transparent. */
  clear(): void {
    this.img = null;
    this.ctx.setTransform(1, 0, 0, 1, 0, 0);
    this.ctx.globalAlpha = 1;
    this.ctx.clearRect(0, 0, this.width, this.height);
  }
}
