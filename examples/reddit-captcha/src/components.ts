/** A binary image: 1 where there is ink, row-major. */
export interface Mask {
  data: Uint8Array;
  width: number;
  height: number;
}

/** One connected component: its pixels (indices into the mask) and bounding box. */
export interface Component {
  pixels: number[];
  x0: number;
  y0: number;
  /** Exclusive. */
  x1: number;
  y1: number;
}

export const componentWidth = (c: Component): number => c.x1 - c.x0;
export const componentHeight = (c: Component): number => c.y1 - c.y0;

/**
 * Connected components of a mask with 8-connectivity (diagonal neighbours
 * join), found by flood fill, in order of their first pixel (row-major).
 */
export function connectedComponents(mask: Mask): Component[] {
  const { data, width: W, height: H } = mask;
  if (data.length !== W * H) throw new Error(`connectedComponents: expected ${W * H} pixels for ${W}x${H}, got ${data.length}`);
  const seen = new Uint8Array(W * H);
  const out: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < data.length; start++) {
    if (!data[start] || seen[start]) continue;
    const c: Component = { pixels: [], x0: W, y0: H, x1: 0, y1: 0 };
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop()!;
      c.pixels.push(p);
      const x = p % W;
      const y = (p - x) / W;
      c.x0 = Math.min(c.x0, x);
      c.y0 = Math.min(c.y0, y);
      c.x1 = Math.max(c.x1, x + 1);
      c.y1 = Math.max(c.y1, y + 1);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= H) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= W) continue;
          const q = ny * W + nx;
          if (data[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    out.push(c);
  }
  return out;
}

/** A component made of the given pixels (indices into a mask `width` wide). */
export function componentOf(pixels: number[], width: number): Component {
  const c: Component = { pixels, x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (const p of pixels) {
    const x = p % width;
    const y = (p - x) / width;
    c.x0 = Math.min(c.x0, x);
    c.y0 = Math.min(c.y0, y);
    c.x1 = Math.max(c.x1, x + 1);
    c.y1 = Math.max(c.y1, y + 1);
  }
  return c;
}
