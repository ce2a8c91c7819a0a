// opentype.js 2 ships no type declarations: the few members the data package uses.
declare module 'opentype.js' {
  namespace opentype {
    interface BoundingBox {
      x1: number;
      y1: number;
      x2: number;
      y2: number;
    }
    interface Path {
      /** SVG path data, coordinates to `decimalPlaces`. */
      toPathData(decimalPlaces?: number): string;
    }
    interface Glyph {
      index: number;
      xMin?: number;
      xMax?: number;
      getBoundingBox(): BoundingBox;
      /** The outline at (x, y) (the baseline origin, y down) and `fontSize` px; `hinting` runs the TrueType instructions (needs `font`). */
      getPath(x: number, y: number, fontSize: number, options?: { hinting?: boolean }, font?: Font): Path;
    }
    interface Font {
      unitsPerEm: number;
      charToGlyph(ch: string): Glyph;
    }
    function parse(buffer: ArrayBuffer): Font;
  }
  export default opentype;
}
