// Per-channel loops over channels-last arrays (rows of c float32 values, c a
// multiple of 4), for wasm32 with simd128: batch norm's, the SIMD twins of
// src/backends/wasm/channelLoops.ts (which runs where c is not a multiple of
// 4 or the module is not instantiated), 2×2 max pooling's gradient, and
// a single-channel image's 3×3 convolution and its filter gradient; and Adam's
// update and ReLU's gradient, which are elementwise.
//
// Sums run in float32 lanes over blocks of BLOCK rows and are added into
// float64 accumulators per block, so a sum over a million rows keeps the
// precision of the JavaScript loops' float64 sums. Built into the same
// module as winograd.c (./build.sh); every buffer is the caller's.
#include <wasm_simd128.h>

typedef v128_t f4;
#define BLOCK 64

// Adds four float32 lane sums into float64 accumulators a[0..3].
static inline void add_lanes(double *a, f4 s) {
  a[0] += wasm_f32x4_extract_lane(s, 0);
  a[1] += wasm_f32x4_extract_lane(s, 1);
  a[2] += wasm_f32x4_extract_lane(s, 2);
  a[3] += wasm_f32x4_extract_lane(s, 3);
}

// acc[j] += Σ x[·, j]
void channel_sums(const float *x, int rows, int c, double *acc) {
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int j = 0; j < c; j += 4) {
      f4 s = wasm_f32x4_splat(0);
      for (int r = r0; r < r1; r++) s = wasm_f32x4_add(s, wasm_v128_load(x + (long)r * c + j));
      add_lanes(acc + j, s);
    }
  }
}

// acc[j] += Σ (x[·, j] − mean[j])²
void channel_sq_dev(const float *x, int rows, int c, const float *mean, double *acc) {
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int j = 0; j < c; j += 4) {
      const f4 m = wasm_v128_load(mean + j);
      f4 s = wasm_f32x4_splat(0);
      for (int r = r0; r < r1; r++) {
        const f4 d = wasm_f32x4_sub(wasm_v128_load(x + (long)r * c + j), m);
        s = wasm_f32x4_add(s, wasm_f32x4_mul(d, d));
      }
      add_lanes(acc + j, s);
    }
  }
}

// y[·, j] = x[·, j]·scale[j] + shift[j]
void channel_affine(const float *x, float *y, int rows, int c, const float *scale, const float *shift) {
  for (long o = 0, end = (long)rows * c; o < end; o += c)
    for (int j = 0; j < c; j += 4)
      wasm_v128_store(y + o + j, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(x + o + j), wasm_v128_load(scale + j)), wasm_v128_load(shift + j)));
}

// db[j] += Σ dy[·, j];  dw[j] += Σ dy[·, j]·(x[·, j] − mean[j])
void bn_grad_sums(const float *dy, const float *x, int rows, int c, const float *mean, double *db, double *dw) {
  for (int r0 = 0; r0 < rows; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < rows ? r0 + BLOCK : rows;
    for (int j = 0; j < c; j += 4) {
      const f4 m = wasm_v128_load(mean + j);
      f4 sb = wasm_f32x4_splat(0);
      f4 sw = wasm_f32x4_splat(0);
      for (int r = r0; r < r1; r++) {
        const long o = (long)r * c + j;
        const f4 g = wasm_v128_load(dy + o);
        sb = wasm_f32x4_add(sb, g);
        sw = wasm_f32x4_add(sw, wasm_f32x4_mul(g, wasm_f32x4_sub(wasm_v128_load(x + o), m)));
      }
      add_lanes(db + j, sb);
      add_lanes(dw + j, sw);
    }
  }
}

// dx[·, j] = k[j]·(dy[·, j] − (x[·, j] − mean[j])·s[j]) + a[j]
void bn_input_grad(const float *dy, const float *x, float *dx, int rows, int c, const float *mean, const float *k, const float *a, const float *s) {
  for (long o = 0, end = (long)rows * c; o < end; o += c)
    for (int j = 0; j < c; j += 4) {
      const f4 xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + o + j), wasm_v128_load(mean + j)), wasm_v128_load(s + j));
      const f4 d = wasm_f32x4_sub(wasm_v128_load(dy + o + j), xh);
      wasm_v128_store(dx + o + j, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(k + j), d), wasm_v128_load(a + j)));
    }
}

// MaxPoolGrad of 2×2 stride-2 windows without padding, NHWC, c a multiple of
// 4: each window inside x [n, h, w, c] sends dy [n, oh, ow, c] to its first
// maximum in row-major order (strict > from −∞, so NaN and −∞ never win, as
// MaxPoolGrad.ts), and writes 0 to its other three inputs. Windows past
// ⌊h/2⌋ or ⌊w/2⌋ (a ceil-mode edge) are the caller's.
void maxpool2x2_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int oh, int ow) {
  const f4 ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int b = 0; b < n; b++)
    for (int i = 0; i < h / 2; i++)
      for (int k = 0; k < w / 2; k++) {
        const long p00 = (((long)b * h + 2 * i) * w + 2 * k) * c;
        const long p01 = p00 + c;
        const long p10 = p00 + (long)w * c;
        const long p11 = p10 + c;
        const float *g = dy + (((long)b * oh + i) * ow + k) * c;
        for (int j = 0; j < c; j += 4) {
          const f4 a = wasm_v128_load(x + p00 + j), bb = wasm_v128_load(x + p01 + j);
          const f4 cc = wasm_v128_load(x + p10 + j), d = wasm_v128_load(x + p11 + j);
          const f4 ma = wasm_f32x4_gt(a, ninf);
          f4 best = wasm_v128_bitselect(a, ninf, ma);
          const f4 mb = wasm_f32x4_gt(bb, best);
          best = wasm_v128_bitselect(bb, best, mb);
          const f4 mc = wasm_f32x4_gt(cc, best);
          best = wasm_v128_bitselect(cc, best, mc);
          const f4 md = wasm_f32x4_gt(d, best);
          // The last update wins: it is the first maximum.
          const f4 wc = wasm_v128_andnot(mc, md);
          const f4 wb = wasm_v128_andnot(wasm_v128_andnot(mb, mc), md);
          const f4 wa = wasm_v128_andnot(wasm_v128_andnot(wasm_v128_andnot(ma, mb), mc), md);
          const f4 gv = wasm_v128_load(g + j);
          wasm_v128_store(dx + p00 + j, wasm_v128_and(gv, wa));
          wasm_v128_store(dx + p01 + j, wasm_v128_and(gv, wb));
          wasm_v128_store(dx + p10 + j, wasm_v128_and(gv, wc));
          wasm_v128_store(dx + p11 + j, wasm_v128_and(gv, md));
        }
      }
}

// The same for 2×1 windows (two rows, one column; stride 2 down, 1 across), for x [n, h, w, c] and
// dy [n, oh, w, c]: a CTC reader's pools, which halve the height and keep every column.
void maxpool2x1_grad(const float *x, const float *dy, float *dx, int n, int h, int w, int c, int oh) {
  const f4 ninf = wasm_f32x4_splat(-__builtin_inff());
  const long row = (long)w * c;
  for (int b = 0; b < n; b++)
    for (int i = 0; i < h / 2; i++) {
      const float *x0 = x + ((long)b * h + 2 * i) * row, *x1 = x0 + row;
      float *d0 = dx + ((long)b * h + 2 * i) * row, *d1 = d0 + row;
      const float *g = dy + ((long)b * oh + i) * row;
      for (long j = 0; j < row; j += 4) {
        const f4 a = wasm_v128_load(x0 + j), bb = wasm_v128_load(x1 + j);
        const f4 ma = wasm_f32x4_gt(a, ninf);
        const f4 mb = wasm_f32x4_gt(bb, wasm_v128_bitselect(a, ninf, ma));
        const f4 gv = wasm_v128_load(g + j);
        wasm_v128_store(d0 + j, wasm_v128_and(gv, wasm_v128_andnot(ma, mb)));
        wasm_v128_store(d1 + j, wasm_v128_and(gv, mb));
      }
    }
}

// Taps kx = 0, 1, 2 of one kernel row, channels g..g+3 (and g+4..g+7 when
// two): each sum over the columns where the tap falls inside the row, in
// column order.
static inline void c1_row_taps(const float *xrow, const float *drow, int w, int cout, int g, int two, double *a) {
  f4 s0 = wasm_f32x4_splat(0), s1 = s0, s2 = s0, t0 = s0, t1 = s0, t2 = s0;
  for (int xx = 0; xx < w; xx++) {
    const float *d = drow + (long)xx * cout + g;
    const f4 d0 = wasm_v128_load(d);
    const f4 d1 = two ? wasm_v128_load(d + 4) : s0;
    const f4 xc = wasm_f32x4_splat(xrow[xx]);
    if (xx > 0) {
      const f4 xl = wasm_f32x4_splat(xrow[xx - 1]);
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(xl, d0));
      if (two) t0 = wasm_f32x4_add(t0, wasm_f32x4_mul(xl, d1));
    }
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(xc, d0));
    if (two) t1 = wasm_f32x4_add(t1, wasm_f32x4_mul(xc, d1));
    if (xx < w - 1) {
      const f4 xr = wasm_f32x4_splat(xrow[xx + 1]);
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(xr, d0));
      if (two) t2 = wasm_f32x4_add(t2, wasm_f32x4_mul(xr, d1));
    }
  }
  add_lanes(a + g, s0);
  add_lanes(a + cout + g, s1);
  add_lanes(a + 2 * cout + g, s2);
  if (two) {
    add_lanes(a + g + 4, t0);
    add_lanes(a + cout + g + 4, t1);
    add_lanes(a + 2 * cout + g + 4, t2);
  }
}

// The filter gradient of a 3×3, stride-1, pad-1 convolution of a
// single-channel image (a gray input's first layer): x [n, h, w, 1],
// dy [n, h, w, cout], cout a multiple of 4; dw [3, 3, 1, cout] = Σ over
// pixels of x's 3×3 neighbourhood (zero outside) times dy. Each image row's
// sum for one tap and four channels runs in one float32 accumulator, then is
// added into acc [9·cout] in float64, which the caller zeroes and rounds.
// One pass over a row of dy feeds a kernel row's three taps for up to eight
// channels at once: six independent sums.
void conv3x3_c1_filter_grad(const float *x, const float *dy, int n, int h, int w, int cout, double *acc) {
  for (int b = 0; b < n; b++)
    for (int y = 0; y < h; y++) {
      const float *drow = dy + ((long)b * h + y) * w * cout;
      for (int ky = 0; ky < 3; ky++) {
        const int yy = y + ky - 1;
        if (yy < 0 || yy >= h) continue;
        const float *xrow = x + ((long)b * h + yy) * w;
        double *a = acc + ky * 3 * cout;
        int g = 0;
        for (; g + 8 <= cout; g += 8) c1_row_taps(xrow, drow, w, cout, g, 1, a);
        if (g < cout) c1_row_taps(xrow, drow, w, cout, g, 0, a);
      }
    }
}

// A 3×3, stride-1, pad-1 convolution of a single-channel image (a gray
// input's first layer): x [n, h, w, 1], f [3, 3, 1, cout], cout a multiple of
// 4, y [n, h, w, cout]. XNNPACK's kernel runs one input channel at a fraction
// of its speed; here each pixel's nine taps (zero outside) are summed in tap
// order, four channels per instruction.
void conv3x3_c1(const float *x, const float *f, int n, int h, int w, int cout, float *y) {
  for (int b = 0; b < n; b++)
    for (int r = 0; r < h; r++) {
      const float *img = x + (long)b * h * w;
      float *out = y + ((long)b * h + r) * w * cout;
      for (int q = 0; q < w; q++) {
        float v[9];
        for (int ky = 0; ky < 3; ky++) {
          const int yy = r + ky - 1;
          for (int kx = 0; kx < 3; kx++) {
            const int xx = q + kx - 1;
            v[ky * 3 + kx] = yy >= 0 && yy < h && xx >= 0 && xx < w ? img[(long)yy * w + xx] : 0.0f;
          }
        }
        for (int g = 0; g < cout; g += 4) {
          f4 s = wasm_f32x4_mul(wasm_f32x4_splat(v[0]), wasm_v128_load(f + g));
          for (int t = 1; t < 9; t++) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_f32x4_splat(v[t]), wasm_v128_load(f + t * cout + g)));
          wasm_v128_store(out + (long)q * cout + g, s);
        }
      }
    }
}

// One Adam step of n parameters (Torch's rule, src/optim/adam.ts), written to
// new buffers as tfjs tensors are immutable, in the composed ops' order and
// float32 roundings (a1 = 1 − β1 and a2 = 1 − β2 as the caller rounds them):
// m' = β1·m + a1·g, v' = β2·v + a2·g², x' = x − (m' / (√v' + ε))·step.
void adam_update(const float *x, const float *m, const float *v, const float *g, int n, float beta1, float a1, float beta2, float a2, float eps,
                 float step, float *xo, float *mo, float *vo) {
  const f4 b1v = wasm_f32x4_splat(beta1), a1v = wasm_f32x4_splat(a1);
  const f4 b2v = wasm_f32x4_splat(beta2), a2v = wasm_f32x4_splat(a2);
  const f4 e = wasm_f32x4_splat(eps), s = wasm_f32x4_splat(step);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const f4 gi = wasm_v128_load(g + i);
    const f4 mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1v), wasm_f32x4_mul(gi, a1v));
    const f4 vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2v), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), a2v));
    wasm_v128_store(mo + i, mi);
    wasm_v128_store(vo + i, vi);
    const f4 upd = wasm_f32x4_mul(wasm_f32x4_div(mi, wasm_f32x4_add(wasm_f32x4_sqrt(vi), e)), s);
    wasm_v128_store(xo + i, wasm_f32x4_sub(wasm_v128_load(x + i), upd));
  }
  for (; i < n; i++) {
    const float mi = m[i] * beta1 + g[i] * a1;
    const float vi = v[i] * beta2 + (g[i] * g[i]) * a2;
    mo[i] = mi;
    vo[i] = vi;
    xo[i] = x[i] - (mi / (__builtin_sqrtf(vi) + eps)) * step;
  }
}

// ReLU's gradient, elementwise: dx = dy·s with s = 1 where x > 0, 0 where not,
// and NaN where x is NaN; the composed ops' dy·cast(step(x)), so NaN and ±∞ in
// dy give what they give there (NaN·0 is NaN).
void relu_grad(const float *dy, const float *x, int n, float *dx) {
  const f4 one = wasm_f32x4_splat(1.0f), zero = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const f4 xi = wasm_v128_load(x + i);
    f4 s = wasm_v128_bitselect(one, zero, wasm_f32x4_gt(xi, zero));
    s = wasm_v128_bitselect(xi, s, wasm_f32x4_ne(xi, xi));
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), s));
  }
  for (; i < n; i++) {
    const float xi = x[i];
    dx[i] = dy[i] * (xi != xi ? xi : xi > 0.0f ? 1.0f : 0.0f);
  }
}
