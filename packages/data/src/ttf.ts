/**
 * Glyph boxes read straight from a TrueType file's tables (head, cmap format 4,
 * loca, glyf), for SimpleCaptcha's word layout: Java advances each character by
 * `(int) glyphVector.getVisualBounds().getWidth()`, the width of the glyph's
 * unhinted outline box at the font size, truncated. Canvas text metrics cannot
 * give that: skia rounds `actualBoundingBox*` out to whole (and at large sizes,
 * coarser) pixels, which moved every later character by up to a pixel each.
 * Pure code on bytes, so it runs in Node and in a browser.
 */

/** One font's outline boxes in font units. */
export interface GlyphBoxes {
  readonly unitsPerEm: number;
  /** The glyph's outline box [xMin, xMax] for a character, or null when the font has no glyph (or an empty one) for it. */
  xExtent(ch: string): readonly [number, number] | null;
}

function tableOffsets(v: DataView): Map<string, number> {
  const n = v.getUint16(4);
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const rec = 12 + 16 * i;
    const tag = String.fromCharCode(v.getUint8(rec), v.getUint8(rec + 1), v.getUint8(rec + 2), v.getUint8(rec + 3));
    out.set(tag, v.getUint32(rec + 8));
  }
  return out;
}

/** The Unicode BMP subtable (platform 3 encoding 1, or platform 0), format 4: code point → glyph index. */
function cmap4(v: DataView, cmap: number): (code: number) => number {
  const n = v.getUint16(cmap + 2);
  let sub = -1;
  for (let i = 0; i < n; i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = v.getUint16(rec);
    const encoding = v.getUint16(rec + 2);
    const off = cmap + v.getUint32(rec + 4);
    if (v.getUint16(off) !== 4) continue;
    if ((platform === 3 && encoding === 1) || (platform === 0 && sub < 0)) sub = off;
  }
  if (sub < 0) throw new Error('ttf: the font has no Unicode format-4 cmap (a TrueType font with a BMP cmap is expected)');
  const segX2 = v.getUint16(sub + 6);
  const ends = sub + 14;
  const starts = ends + segX2 + 2;
  const deltas = starts + segX2;
  const ranges = deltas + segX2;
  return (code) => {
    for (let s = 0; s < segX2; s += 2) {
      if (code > v.getUint16(ends + s)) continue;
      const start = v.getUint16(starts + s);
      if (code < start) return 0;
      const delta = v.getInt16(deltas + s);
      const rangeOffset = v.getUint16(ranges + s);
      if (rangeOffset === 0) return (code + delta) & 0xffff;
      const g = v.getUint16(ranges + s + rangeOffset + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
}

/**
 * Parses a TrueType (glyf-outline) font.
 *
 * Args:
 *   bytes: the whole .ttf file.
 */
export function readGlyphBoxes(bytes: Uint8Array): GlyphBoxes {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = tableOffsets(v);
  const head = tables.get('head');
  const cmap = tables.get('cmap');
  const loca = tables.get('loca');
  const glyf = tables.get('glyf');
  if (head === undefined || cmap === undefined || loca === undefined || glyf === undefined) {
    throw new Error('ttf: head, cmap, loca or glyf table missing (a TrueType font with glyf outlines is expected)');
  }
  const unitsPerEm = v.getUint16(head + 18);
  const longLoca = v.getInt16(head + 50) === 1;
  const glyphOf = cmap4(v, cmap);
  const glyphStart = (g: number) => (longLoca ? v.getUint32(loca + 4 * g) : 2 * v.getUint16(loca + 2 * g));
  return {
    unitsPerEm,
    xExtent(ch) {
      const code = ch.codePointAt(0);
      if (code === undefined || code > 0xffff) return null;
      const g = glyphOf(code);
      const start = glyphStart(g);
      if (g === 0 || glyphStart(g + 1) === start) return null;
      // Glyph header: numberOfContours, xMin, yMin, xMax, yMax.
      return [v.getInt16(glyf + start + 2), v.getInt16(glyf + start + 6)];
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
