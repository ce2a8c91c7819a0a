/**
 * Per-channel loops over a channels-last array (rows of `c` values), for the
 * batch-norm kernels. Each walks the array in blocks of rows that stay in
 * cache and, inside a block, four channels at a time with scalar
 * accumulators: V8 keeps those in registers, where a loop over an
 * accumulator array would store and reload every element.
 */

/** Rows per block: about 16 KB of float32 values. */
const blockRows = (c: number): number => Math.max(1, Math.floor(4096 / c));

/** acc[j] += Σ x[·, j]. */
export function addChannelSums(x: Float32Array, c: number, acc: Float64Array): void {
  const rows = x.length / c;
  const step = blockRows(c);
  for (let r = 0; r < rows; r += step) {
    const end = Math.min(rows, r + step) * c;
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      for (let o = r * c + j; o < end; o += c) {
        a0 += x[o];
        a1 += x[o + 1];
        a2 += x[o + 2];
        a3 += x[o + 3];
      }
      acc[j] += a0;
      acc[j + 1] += a1;
      acc[j + 2] += a2;
      acc[j + 3] += a3;
    }
    for (; j < c; j++) {
      let a = 0;
      for (let o = r * c + j; o < end; o += c) a += x[o];
      acc[j] += a;
    }
  }
}

/** acc[j] += Σ (x[·, j] − mean[j])². */
export function addSquaredDeviations(x: Float32Array, c: number, mean: Float64Array, acc: Float64Array): void {
  const rows = x.length / c;
  const step = blockRows(c);
  for (let r = 0; r < rows; r += step) {
    const end = Math.min(rows, r + step) * c;
    for (let j = 0; j < c; j++) {
      const m = mean[j];
      let a0 = 0;
      let a1 = 0;
      let o = r * c + j;
      // Two chains per channel: the sum's add latency, not memory, bounds one chain.
      for (; o + c < end; o += 2 * c) {
        const d0 = x[o] - m;
        const d1 = x[o + c] - m;
        a0 += d0 * d0;
        a1 += d1 * d1;
      }
      if (o < end) {
        const d = x[o] - m;
        a0 += d * d;
      }
      acc[j] += a0 + a1;
    }
  }
}

/** db[j] += Σ dy[·, j];  dw[j] += Σ dy[·, j]·(x[·, j] − mean[j]). */
export function addGradSums(dy: Float32Array, x: Float32Array, c: number, mean: Float32Array, db: Float64Array, dw: Float64Array): void {
  const rows = x.length / c;
  const step = blockRows(c);
  for (let r = 0; r < rows; r += step) {
    const end = Math.min(rows, r + step) * c;
    for (let j = 0; j < c; j++) {
      const m = mean[j];
      let b0 = 0;
      let b1 = 0;
      let w0 = 0;
      let w1 = 0;
      let o = r * c + j;
      for (; o + c < end; o += 2 * c) {
        const g0 = dy[o];
        const g1 = dy[o + c];
        b0 += g0;
        b1 += g1;
        w0 += g0 * (x[o] - m);
        w1 += g1 * (x[o + c] - m);
      }
      if (o < end) {
        b0 += dy[o];
        w0 += dy[o] * (x[o] - m);
      }
      db[j] += b0 + b1;
      dw[j] += w0 + w1;
    }
  }
}

/** y[·, j] = x[·, j]·scale[j] + shift[j]. */
export function channelAffine(x: Float32Array, y: Float32Array, c: number, scale: Float32Array, shift: Float32Array): void {
  const rows = x.length / c;
  const step = blockRows(c);
  for (let r = 0; r < rows; r += step) {
    const end = Math.min(rows, r + step) * c;
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const s0 = scale[j];
      const s1 = scale[j + 1];
      const s2 = scale[j + 2];
      const s3 = scale[j + 3];
      const h0 = shift[j];
      const h1 = shift[j + 1];
      const h2 = shift[j + 2];
      const h3 = shift[j + 3];
      for (let o = r * c + j; o < end; o += c) {
        y[o] = x[o] * s0 + h0;
        y[o + 1] = x[o + 1] * s1 + h1;
        y[o + 2] = x[o + 2] * s2 + h2;
        y[o + 3] = x[o + 3] * s3 + h3;
      }
    }
    for (; j < c; j++) {
      const s = scale[j];
      const h = shift[j];
      for (let o = r * c + j; o < end; o += c) y[o] = x[o] * s + h;
    }
  }
}

/**
 * dx[·, j] = k[j]·(dy[·, j] − (x[·, j] − mean[j])·s[j]) + a[j], which is
 * k·(dy − a' − x̂·dweight/M) with the constant folded into a[j].
 */
export function batchNormInputGrad(
  dy: Float32Array,
  x: Float32Array,
  dx: Float32Array,
  c: number,
  mean: Float32Array,
  k: Float32Array,
  a: Float32Array,
  s: Float32Array,
): void {
  const rows = x.length / c;
  const step = blockRows(c);
  for (let r = 0; r < rows; r += step) {
    const end = Math.min(rows, r + step) * c;
    let j = 0;
    for (; j + 2 <= c; j += 2) {
      const m0 = mean[j];
      const m1 = mean[j + 1];
      const k0 = k[j];
      const k1 = k[j + 1];
      const a0 = a[j];
      const a1 = a[j + 1];
      const s0 = s[j];
      const s1 = s[j + 1];
      for (let o = r * c + j; o < end; o += c) {
        dx[o] = k0 * (dy[o] - (x[o] - m0) * s0) + a0;
        dx[o + 1] = k1 * (dy[o + 1] - (x[o + 1] - m1) * s1) + a1;
      }
    }
    for (; j < c; j++) {
      const m = mean[j];
      const kj = k[j];
      const aj = a[j];
      const sj = s[j];
      for (let o = r * c + j; o < end; o += c) dx[o] = kj * (dy[o] - (x[o] - m) * sj) + aj;
    }
  }
}
