/**
 * The browser canvas factory: OffscreenCanvas, in a page or a Web Worker.
 * A browser silently substitutes a missing font, so whether a family draws is
 * told by measuring: text in `"<family>", monospace` and in `"<family>", serif`
 * that measures exactly as the bare fallbacks do is drawn in a fallback.
 */
import type { CanvasFactory, CanvasLike } from './canvas';

interface FontSet {
  add(face: FontFace): void;
}

const PROBE = 'mmmmmmmmmmlli0O@#WwQq';
let probe: OffscreenCanvasRenderingContext2D | null = null;
const loaded = new Set<string>();

function probeContext(): OffscreenCanvasRenderingContext2D {
  if (!probe) {
    if (typeof OffscreenCanvas === 'undefined')
      throw new Error('offscreenCanvasFactory: OffscreenCanvas is not available here (a browser or Web Worker is needed)');
    probe = new OffscreenCanvas(8, 8).getContext('2d');
    if (!probe) throw new Error('offscreenCanvasFactory: OffscreenCanvas.getContext("2d") returned null');
  }
  return probe;
}

function widthIn(font: string): number {
  const ctx = probeContext();
  ctx.font = font;
  return ctx.measureText(PROBE).width;
}

function drawsIn(family: string): boolean {
  if (loaded.has(family)) return true;
  for (const fallback of ['monospace', 'serif']) {
    for (const weight of ['normal', 'bold']) if (widthIn(`${weight} 40px "${family}", ${fallback}`) !== widthIn(`${weight} 40px ${fallback}`)) return true;
  }
  return false;
}

export const offscreenCanvasFactory: CanvasFactory = {
  name: 'OffscreenCanvas',
  createCanvas(width, height) {
    if (typeof OffscreenCanvas === 'undefined')
      throw new Error('offscreenCanvasFactory: OffscreenCanvas is not available here (a browser or Web Worker is needed)');
    return new OffscreenCanvas(width, height) as unknown as CanvasLike;
  },
  hasFont: drawsIn,
  families: () => [...loaded].sort(),
};

/**
 * Loads a font file (a URL) under `family` into the page's or worker's font
 * set, so the generators draw with it on any machine: the browser equivalent
 * of Node's registerFont. Resolves once the font is usable.
 */
export async function loadFont(url: string | URL, family: string, descriptors: FontFaceDescriptors = {}): Promise<void> {
  const face = new FontFace(family, `url(${JSON.stringify(String(url))})`, descriptors);
  try {
    await face.load();
  } catch (e) {
    throw new Error(`loadFont: could not load ${String(url)} as '${family}' (${e instanceof Error ? e.message : String(e)})`);
  }
  // A page's fonts are document.fonts; a worker's are self.fonts.
  const scope = globalThis as unknown as { document?: { fonts: FontSet }; fonts?: FontSet };
  const set = scope.document?.fonts ?? scope.fonts;
  if (!set) throw new Error('loadFont: this scope has no font set (document.fonts or self.fonts)');
  set.add(face);
  loaded.add(family);
}
