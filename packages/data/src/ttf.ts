import opentype from 'opentype.js';

/**
 * Glyph outlines from a font file, for SimpleCaptcha's words: the hinted outline Java2D fills (`hintedPath`), and
 * the outline box for the layout: Java advances each character by
 * `(int) glyphVector.getVisualBounds().getWidth()`, the width of the glyph's
 * unhinted outline box at the font size, truncated. Canvas text metrics cannot
 * give that: skia rounds `actualBoundingBox*` out to whole (and at large sizes,
 * coarser) pixels, which moved every later character by up to a pixel each.
 * opentype.js parses the file (the well-kept font parser; it also runs in a
 * browser).
 */

/** One font file's glyph outlines. */
export interface GlyphBoxes {
  readonly unitsPerEm: number;
  /** The glyph's outline box [xMin, xMax] for a character, or null when the font has no glyph (or an empty one) for it. */
  xExtent(ch: string): readonly [number, number] | null;
  /**
   * The character's outline at `px` pixels per em, origin at (0, 0), y down, as SVG path data, hinted by the
   * font's TrueType instructions (opentype.js's interpreter); null when the font has no glyph for it. Java2D
   * draws antialiased text this way (FreeType, hinted, whole-pixel origins); skia's fillText does not hint
   * (docs/simplecaptcha-fidelity.md, "glyphs").
   */
  hintedPath(ch: string, px: number): string | null;
}

/**
 * Parses a font file with opentype.js.
 *
 * Args:
 *   bytes: the whole .ttf (or .otf) file.
 */
export function readGlyphBoxes(bytes: Uint8Array): GlyphBoxes {
  let font: opentype.Font;
  try {
    font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (e) {
    throw new Error(`ttf: not a font file opentype.js can read (${(e as Error).message.trim()})`);
  }
  return {
    unitsPerEm: font.unitsPerEm,
    xExtent(ch) {
      const g = font.charToGlyph(ch);
      // Glyph 0 is .notdef, what a font gives for characters it lacks.
      if (g.index === 0) return null;
      // The glyf header's box (control points included, as Java's Path2D bounds); CFF glyphs have none.
      const [lo, hi] = g.xMin !== undefined && g.xMax !== undefined ? [g.xMin, g.xMax] : [g.getBoundingBox().x1, g.getBoundingBox().x2];
      return hi > lo ? [lo, hi] : null;
    },
    hintedPath(ch, px) {
      const g = font.charToGlyph(ch);
      if (g.index === 0) return null;
      return g.getPath(0, 0, px, { hinting: true }, font).toPathData(3);
    },
  };
}

/**
 * Width in pixels of a character's outline box at `px` pixels per em (null when the font has no such glyph).
 * Each edge is rounded to 1/64 px first: FreeType (Java's font scaler on Linux) scales unhinted outline points to
 * 26.6 fixed point before Java takes their box.
 */
export function inkWidth(font: GlyphBoxes, px: number, ch: string): number | null {
  const e = font.xExtent(ch);
  if (!e) return null;
  const to26dot6 = (v: number) => Math.round((v * px * 64) / font.unitsPerEm);
  return (to26dot6(e[1]) - to26dot6(e[0])) / 64;
}
