/**
 * Where the generators draw: a canvas factory, so one drawing code path runs on
 * @napi-rs/canvas (skia) in Node and on OffscreenCanvas in a browser or Web
 * Worker. The Node entry (`@captcha-nn/data`) installs the skia factory
 * (canvasNode.ts); the browser entry (`@captcha-nn/data/browser`) installs the
 * OffscreenCanvas one (canvasBrowser.ts). Nothing here imports either, so the
 * drawing modules stay free of Node-only code.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { FontSpec } from './fonts';

/**
 * The 2D context the drawing code uses. Typed as skia's (a type-only import):
 * OffscreenCanvasRenderingContext2D has every member the generators call.
 */
export type Context2D = SKRSContext2D;

/** A drawing surface of a fixed size. */
export interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): Context2D;
}

export interface CanvasFactory {
  /** For messages: 'skia (@napi-rs/canvas)', 'OffscreenCanvas'. */
  readonly name: string;
  createCanvas(width: number, height: number): CanvasLike;
  /** Whether text in this family draws in that font (not in a silent substitute). */
  hasFont(family: string): boolean;
  /** Families known to be drawable, for error messages. */
  families(): string[];
  /**
   * Width in pixels of a character's unhinted outline box in `font` at `px`
   * pixels per em, from the font file, where the factory knows the file;
   * undefined or null otherwise (callers then measure with the canvas).
   */
  inkWidth?(font: FontSpec, px: number, ch: string): number | null;
  /**
   * Fills a character in `ctx`'s fill style with its baseline origin at whole pixels (x, y), the outline hinted
   * by the font file's TrueType instructions, as Java2D draws antialiased text. Returns false where the factory
   * does not know the file (callers then use fillText).
   */
  fillHintedGlyph?(ctx: Context2D, font: FontSpec, px: number, ch: string, x: number, y: number): boolean;
}

let current: CanvasFactory | null = null;

/** Makes `factory` the one every generator draws with from now on. */
export function setCanvasFactory(factory: CanvasFactory): void {
  current = factory;
}

/** The installed factory; throws when none is (an entry point installs one). */
export function canvasFactory(): CanvasFactory {
  if (!current)
    throw new Error(
      "canvasFactory: no canvas factory is installed (import '@captcha-nn/data' in Node, or '@captcha-nn/data/browser' in a browser, or call setCanvasFactory)",
    );
  return current;
}

/** True when a factory is installed (the Node entry keeps one set by the caller). */
export function hasCanvasFactory(): boolean {
  return current !== null;
}
