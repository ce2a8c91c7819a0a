// opentype.js 2 ships no type declarations: the few members the data package uses.
declare module 'opentype.js' {
  namespace opentype {
    interface BoundingBox {
      x1: number;
      y1: number;
      x2: number;
      y2: number;
    }
    interface Glyph {
      index: number;
      xMin?: number;
      xMax?: number;
      getBoundingBox(): BoundingBox;
    }
    interface Font {
      unitsPerEm: number;
      charToGlyph(ch: string): Glyph;
    }
    function parse(buffer: ArrayBuffer): Font;
  }
  export default opentype;
}
