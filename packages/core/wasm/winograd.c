// Winograd F(2×2,3×3) and F(4×4,3×3) convolution, NHWC float32, 3×3 kernel,
// stride 1, padding 1 ('same'), for wasm32 with simd128: the forward (which
// also serves the input gradient, a convolution of dy with the flipped
// filter) and the filter gradient.
//
// No libc and no static data: every buffer is passed in by the caller
// (src/backends/wasm/winograd.ts), which runs the module on tfjs-backend-wasm's
// own memory and points its shadow stack at a block of that heap.
// Build: ./build.sh (Debian clang and lld), which regenerates winogradBinary.ts.
//
// Layouts (all float32):
//   x  [N, H, W, Cin]            input
//   g  [3, 3, Cin, Cout]         filter (tfjs HWIO)
//   U  [A][Cout8/8][Cin4][8]     transformed filter, A = 16 or 36 points,
//                                Cin4 = Cin rounded up to 4, Cout8 to 8;
//                                zero in the padding rows/columns
//   y  [N, H, W, Cout]           output
//   scratch: A·TB·Cin4 + A·TB·Cout8 floats (V and M of one block of TB tiles)
//
// One call walks the tiles in blocks of TB (a multiple of 4): input
// transform of the block into V[A][TB][Cin4], A GEMMs M[a] = V[a]·U[a],
// output transform of M into y, so V and M stay in cache. The filter
// gradient transforms dy's tiles into M instead and accumulates
// dU[a] += V[a]^T·M[a] over the blocks.
#include <wasm_simd128.h>

#include "tile4x8.h"

typedef v128_t f4;
#define ADD wasm_f32x4_add
#define SUB wasm_f32x4_sub
#define MUL wasm_f32x4_mul
#define SPL wasm_f32x4_splat
#define LD(p) wasm_v128_load(p)
#define ST(p, v) wasm_v128_store(p, v)

// Keeps lanes [0, n) of v, zeroes the rest (so garbage, NaN included, past
// the last channel never reaches the GEMM).
static inline f4 keep_lanes(f4 v, int n) {
  const f4 m = wasm_i32x4_gt(wasm_i32x4_splat(n), wasm_i32x4_make(0, 1, 2, 3));
  return wasm_v128_and(v, m);
}

static inline void store_lanes(float* p, f4 v, int n) {
  if (n >= 4) {
    ST(p, v);
    return;
  }
  p[0] = wasm_f32x4_extract_lane(v, 0);
  if (n > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (n > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

// ------------------------------------------------------------------ GEMM
// The A GEMMs of one tile block: M[a][TB×Cout8] = V[a][TB×Cin4] · U[a], for its first nt tiles
// (rounded up to 4; TB is a multiple of 4).
static void block_gemm(int A, int TB, int nt, int Cin4, int Cout8, const float* V, const float* U, float* M) {
  const int nb = Cout8 / 8;
  for (int a = 0; a < A; a++) {
    const float* Va = V + a * TB * Cin4;
    float* Ma = M + a * TB * Cout8;
    for (int j = 0; j < nb; j++) {
      const float* panel = U + ((long)a * nb + j) * Cin4 * 8;
      for (int i = 0; i < nt; i += 4) tile4x8(Va + i * Cin4, Cin4, 1, panel, 8, Cin4, Ma + i * Cout8 + j * 8, Cout8, 8);
    }
  }
}

// ------------------------------------------------------------ 1-D transforms
// d: α inputs, out: α outputs (B^T d); filter: 3 → α (G g); output: α → m (A^T m).
static inline void bt2(const f4* d, f4* o) {
  o[0] = SUB(d[0], d[2]);
  o[1] = ADD(d[1], d[2]);
  o[2] = SUB(d[2], d[1]);
  o[3] = SUB(d[1], d[3]);
}
static inline void at2(const f4* m, f4* o) {
  o[0] = ADD(ADD(m[0], m[1]), m[2]);
  o[1] = SUB(SUB(m[1], m[2]), m[3]);
}
static inline void g2(const f4* g, f4* o) {
  const f4 h = SPL(0.5f);
  const f4 s = MUL(ADD(g[0], g[2]), h), t = MUL(g[1], h);
  o[0] = g[0];
  o[1] = ADD(s, t);
  o[2] = SUB(s, t);
  o[3] = g[2];
}
static inline void bt4(const f4* d, f4* o) {
  const f4 four = SPL(4.f), five = SPL(5.f), two = SPL(2.f);
  // rows of B^T: [4,0,-5,0,1,0] [0,-4,-4,1,1,0] [0,4,-4,-1,1,0] [0,-2,-1,2,1,0] [0,2,-1,-2,1,0] [0,4,0,-5,0,1]
  o[0] = ADD(SUB(MUL(four, d[0]), MUL(five, d[2])), d[4]);
  const f4 p = SUB(d[4], MUL(four, d[2])), q = SUB(d[3], MUL(four, d[1]));
  o[1] = ADD(p, q);
  o[2] = SUB(p, q);
  const f4 r = SUB(d[4], d[2]), s = MUL(two, SUB(d[3], d[1]));
  o[3] = ADD(r, s);
  o[4] = SUB(r, s);
  o[5] = ADD(SUB(MUL(four, d[1]), MUL(five, d[3])), d[5]);
}
static inline void at4(const f4* m, f4* o) {
  // rows of A^T: [1,1,1,1,1,0] [0,1,-1,2,-2,0] [0,1,1,4,4,0] [0,1,-1,8,-8,1]
  const f4 a = ADD(m[1], m[2]), b = SUB(m[1], m[2]), c = ADD(m[3], m[4]), d = SUB(m[3], m[4]);
  o[0] = ADD(ADD(m[0], a), c);
  o[1] = ADD(b, MUL(SPL(2.f), d));
  o[2] = ADD(a, MUL(SPL(4.f), c));
  o[3] = ADD(ADD(b, MUL(SPL(8.f), d)), m[5]);
}
static inline void g4(const f4* g, f4* o) {
  // rows of G: [1/4,0,0] [-1/6,-1/6,-1/6] [-1/6,1/6,-1/6] [1/24,1/12,1/6] [1/24,-1/12,1/6] [0,0,1]
  const f4 s = ADD(g[0], g[2]);
  o[0] = MUL(SPL(0.25f), g[0]);
  o[1] = MUL(SPL(-1.f / 6), ADD(s, g[1]));
  o[2] = MUL(SPL(-1.f / 6), SUB(s, g[1]));
  const f4 t = ADD(MUL(SPL(1.f / 24), g[0]), MUL(SPL(1.f / 6), g[2])), u = MUL(SPL(1.f / 12), g[1]);
  o[3] = ADD(t, u);
  o[4] = SUB(t, u);
  o[5] = g[2];
}
// Filter gradient: dY tile m → α (A·dy, the transpose of A^T), and α → 3 (G^T·du).
static inline void a2(const f4* y, f4* o) {
  o[0] = y[0];
  o[1] = ADD(y[0], y[1]);
  o[2] = SUB(y[0], y[1]);
  o[3] = SUB(SPL(0), y[1]);
}
static inline void gt2(const f4* u, f4* o) {
  const f4 h = SPL(0.5f), s = MUL(ADD(u[1], u[2]), h);
  o[0] = ADD(u[0], s);
  o[1] = MUL(SUB(u[1], u[2]), h);
  o[2] = ADD(s, u[3]);
}
static inline void a4(const f4* y, f4* o) {
  // columns of A^T: [1,0,0,0] [1,1,1,1] [1,-1,1,-1] [1,2,4,8] [1,-2,4,-8] [0,0,0,1]
  const f4 e = ADD(y[0], y[2]), f = ADD(y[1], y[3]);
  const f4 e4 = ADD(y[0], MUL(SPL(4.f), y[2])), f8 = ADD(MUL(SPL(2.f), y[1]), MUL(SPL(8.f), y[3]));
  o[0] = y[0];
  o[1] = ADD(e, f);
  o[2] = SUB(e, f);
  o[3] = ADD(e4, f8);
  o[4] = SUB(e4, f8);
  o[5] = y[3];
}
static inline void gt4(const f4* u, f4* o) {
  // columns of G: [1/4,-1/6,-1/6,1/24,1/24,0] [0,-1/6,1/6,1/12,-1/12,0] [0,-1/6,-1/6,1/6,1/6,1]
  const f4 s12 = ADD(u[1], u[2]), d12 = SUB(u[1], u[2]), s34 = ADD(u[3], u[4]), d34 = SUB(u[3], u[4]);
  o[0] = ADD(SUB(MUL(SPL(0.25f), u[0]), MUL(SPL(1.f / 6), s12)), MUL(SPL(1.f / 24), s34));
  o[1] = ADD(MUL(SPL(-1.f / 6), d12), MUL(SPL(1.f / 12), d34));
  o[2] = ADD(MUL(SPL(1.f / 6), SUB(s34, s12)), u[5]);
}

// C[4×8] += A^T·B over T rows: A rows lda apart (4 consecutive floats each), B rows ldb apart (8 each).
static inline void kernel4x8t(const float* a, int lda, const float* b, int ldb, int T, float* c, int ldc) {
  f4 c00 = LD(c), c01 = LD(c + 4), c10 = LD(c + ldc), c11 = LD(c + ldc + 4);
  f4 c20 = LD(c + 2 * ldc), c21 = LD(c + 2 * ldc + 4), c30 = LD(c + 3 * ldc), c31 = LD(c + 3 * ldc + 4);
  for (int t = 0; t < T; t++) {
    const f4 b0 = LD(b), b1 = LD(b + 4);
    f4 v;
    v = wasm_v128_load32_splat(a);
    c00 = FMADD(c00, v, b0);
    c01 = FMADD(c01, v, b1);
    v = wasm_v128_load32_splat(a + 1);
    c10 = FMADD(c10, v, b0);
    c11 = FMADD(c11, v, b1);
    v = wasm_v128_load32_splat(a + 2);
    c20 = FMADD(c20, v, b0);
    c21 = FMADD(c21, v, b1);
    v = wasm_v128_load32_splat(a + 3);
    c30 = FMADD(c30, v, b0);
    c31 = FMADD(c31, v, b1);
    a += lda;
    b += ldb;
  }
  ST(c, c00);
  ST(c + 4, c01);
  ST(c + ldc, c10);
  ST(c + ldc + 4, c11);
  ST(c + 2 * ldc, c20);
  ST(c + 2 * ldc + 4, c21);
  ST(c + 3 * ldc, c30);
  ST(c + 3 * ldc + 4, c31);
}

// dU[a][Cin4×Cout8] += V[a]^T · dM[a] over the nt tiles of one block.
static void block_gemm_t(int A, int TB, int nt, int Cin4, int Cout8, const float* V, const float* dM, float* dU) {
  for (int a = 0; a < A; a++) {
    const float* Va = V + a * TB * Cin4;
    const float* Ma = dM + a * TB * Cout8;
    float* Ua = dU + a * Cin4 * Cout8;
    for (int j = 0; j < Cout8; j += 8)
      for (int i = 0; i < Cin4; i += 4) kernel4x8t(Va + i, Cin4, Ma + j, Cout8, nt, Ua + i * Cout8 + j, Cout8);
  }
}


// ------------------------------------------------------------ the two sizes
// The same code for m = 2 (α = 4) and m = 4 (α = 6), instantiated by macro so
// that every loop over α has a constant bound and unrolls into registers.
// Tiles are numbered n·tH·tW + ty·tW + tx; tile t of a block sits in row t of
// V[a] (Cin4 floats) and M[a] (Cout8 floats).
#define WINOGRAD(M_, AL, BT, AT, GT, AA, GTT)                                                                            \
  void filter_f##M_(const float* g, int Cin, int Cout, float* U) {                                                     \
    const int Cin4 = (Cin + 3) & ~3, Cout8 = (Cout + 7) & ~7, nb = Cout8 / 8;                                        \
    /* Every float of U is written once: zeros past Cin and Cout, so U needs no clearing pass. */                    \
    for (int ci = 0; ci < Cin4; ci++)                                                                                  \
      for (int co = 0; co < Cout8; co += 4) {                                                                          \
        const int n = ci >= Cin || co >= Cout ? 0 : Cout - co < 4 ? Cout - co : 4;                                    \
        f4 w[3][3], t[AL][3], col[3], u[AL][AL], o[AL];                                                                \
        for (int kh = 0; kh < 3; kh++)                                                                                 \
          for (int kw = 0; kw < 3; kw++) {                                                                             \
            const float* p = g + ((kh * 3 + kw) * Cin + ci) * Cout + co;                                               \
            w[kh][kw] = n == 4   ? LD(p)                                                                               \
                        : n == 0 ? SPL(0)                                                                              \
                                 : wasm_f32x4_make(p[0], n > 1 ? p[1] : 0, n > 2 ? p[2] : 0, 0);                        \
          }                                                                                                            \
        for (int kw = 0; kw < 3; kw++) {                                                                               \
          for (int kh = 0; kh < 3; kh++) col[kh] = w[kh][kw];                                                          \
          GT(col, o);                                                                                                  \
          for (int a = 0; a < AL; a++) t[a][kw] = o[a];                                                                \
        }                                                                                                              \
        for (int a = 0; a < AL; a++) GT(t[a], u[a]);                                                                   \
        for (int a = 0; a < AL; a++)                                                                                   \
          for (int b = 0; b < AL; b++) ST(U + ((long)(a * AL + b) * nb + co / 8) * Cin4 * 8 + ci * 8 + co % 8, u[a][b]); \
      }                                                                                                                \
  }                                                                                                                    \
                                                                                                                       \
  /* V[a][t] = B^T d B for the input tiles t0.. t0+nt (zero outside the image). */                                    \
  static void input_tf_##M_(const float* x, int H, int W, int Cin, int t0, int nt, float* V, int TB,                 \
                            const float* zeros) {                                                                      \
    const int Cin4 = (Cin + 3) & ~3, tH = (H + M_ - 1) / M_, tW = (W + M_ - 1) / M_;                                  \
    for (int t = 0; t < nt; t++) {                                                                                     \
      const int tile = t0 + t, n = tile / (tH * tW), r = tile % (tH * tW);                                            \
      const int y0 = (r / tW) * M_ - 1, x0 = (r % tW) * M_ - 1;                                                        \
      const float* src[AL][AL];                                                                                        \
      for (int i = 0; i < AL; i++)                                                                                     \
        for (int j = 0; j < AL; j++) {                                                                                 \
          const int yy = y0 + i, xx = x0 + j;                                                                          \
          src[i][j] = yy >= 0 && yy < H && xx >= 0 && xx < W ? x + (((long)n * H + yy) * W + xx) * Cin : zeros;        \
        }                                                                                                              \
      for (int c = 0; c < Cin4; c += 4) {                                                                              \
        const int keep = Cin - c;                                                                                      \
        f4 d[AL][AL], tmp[AL][AL], col[AL], o[AL];                                                                     \
        for (int i = 0; i < AL; i++)                                                                                   \
          for (int j = 0; j < AL; j++) d[i][j] = keep >= 4 ? LD(src[i][j] + c) : keep_lanes(LD(src[i][j] + c), keep);   \
        for (int j = 0; j < AL; j++) {                                                                                 \
          for (int i = 0; i < AL; i++) col[i] = d[i][j];                                                               \
          BT(col, o);                                                                                                  \
          for (int i = 0; i < AL; i++) tmp[i][j] = o[i];                                                               \
        }                                                                                                              \
        for (int i = 0; i < AL; i++) {                                                                                 \
          BT(tmp[i], o);                                                                                               \
          for (int j = 0; j < AL; j++) ST(V + ((i * AL + j) * TB + t) * Cin4 + c, o[j]);                               \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  }                                                                                                                    \
                                                                                                                       \
  /* Output tiles p0.. p1 (a thread's share; 0.. N·tH·tW for all). */                                                 \
  void conv_f##M_(const float* x, int N, int H, int W, int Cin, const float* U, int Cout, float* y, float* scratch,  \
                  int TB, const float* zeros, int p0, int p1) {                                                        \
    const int Cin4 = (Cin + 3) & ~3, Cout8 = (Cout + 7) & ~7;                                                         \
    const int tH = (H + M_ - 1) / M_, tW = (W + M_ - 1) / M_;                                                         \
    float* V = scratch;                                                                                                \
    float* Mb = scratch + AL * AL * TB * Cin4;                                                                         \
    for (int t0 = p0; t0 < p1; t0 += TB) {                                                                             \
      const int nt = p1 - t0 < TB ? p1 - t0 : TB;                                                                      \
      input_tf_##M_(x, H, W, Cin, t0, nt, V, TB, zeros);                                                               \
      block_gemm(AL * AL, TB, nt, Cin4, Cout8, V, U, Mb);                                                                  \
      /* y tile = A^T M A, cut at the image's edge. */                                                                 \
      for (int t = 0; t < nt; t++) {                                                                                   \
        const int tile = t0 + t, n = tile / (tH * tW), r = tile % (tH * tW);                                          \
        const int y0 = (r / tW) * M_, x0 = (r % tW) * M_;                                                              \
        const int mh = H - y0 < M_ ? H - y0 : M_, mw = W - x0 < M_ ? W - x0 : M_;                                      \
        for (int c = 0; c < Cout; c += 4) {                                                                            \
          const int keep = Cout - c;                                                                                   \
          f4 m[AL][AL], tmp[M_][AL], col[AL], o[AL];                                                                   \
          for (int i = 0; i < AL; i++)                                                                                 \
            for (int j = 0; j < AL; j++) m[i][j] = LD(Mb + ((i * AL + j) * TB + t) * Cout8 + c);                       \
          for (int j = 0; j < AL; j++) {                                                                               \
            for (int i = 0; i < AL; i++) col[i] = m[i][j];                                                             \
            AT(col, o);                                                                                                \
            for (int i = 0; i < M_; i++) tmp[i][j] = o[i];                                                             \
          }                                                                                                            \
          for (int i = 0; i < mh; i++) {                                                                               \
            AT(tmp[i], o);                                                                                             \
            float* q = y + (((long)n * H + y0 + i) * W + x0) * Cout + c;                                               \
            for (int j = 0; j < mw; j++) store_lanes(q + j * Cout, o[j], keep);                                        \
          }                                                                                                            \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  }                                                                                                                    \
                                                                                                                       \
  /* conv2d's filter gradient from x and dy [N, H, W, Cout], in two steps so that threads can share the tiles:      \
     filter_grad_sum: dU = Σ over tiles p0.. p1 of V[a]^T (A dY A^T)[a] (scratch: α²·TB·(Cin4 + Cout8) floats;       \
     dU: α²·Cin4·Cout8 floats); filter_grad_out: dW = G^T (Σ of `parts` consecutive dU) G. */                        \
  void filter_grad_sum_f##M_(const float* x, const float* dy, int N, int H, int W, int Cin, int Cout, float* scratch, \
                             int TB, const float* zeros, float* dU, int p0, int p1) {                                 \
    const int Cin4 = (Cin + 3) & ~3, Cout8 = (Cout + 7) & ~7;                                                         \
    const int tH = (H + M_ - 1) / M_, tW = (W + M_ - 1) / M_;                                                         \
    float* V = scratch;                                                                                                \
    float* Mb = scratch + AL * AL * TB * Cin4;                                                                         \
    for (int i = 0; i < AL * AL * Cin4 * Cout8; i++) dU[i] = 0.f;                                                      \
    for (int t0 = p0; t0 < p1; t0 += TB) {                                                                             \
      const int nt = p1 - t0 < TB ? p1 - t0 : TB;                                                                      \
      input_tf_##M_(x, H, W, Cin, t0, nt, V, TB, zeros);                                                               \
      /* dM[a][t] = A dY A^T, dY zero past the image's edge and in the channel padding. */                            \
      for (int t = 0; t < nt; t++) {                                                                                   \
        const int tile = t0 + t, n = tile / (tH * tW), r = tile % (tH * tW);                                          \
        const int y0 = (r / tW) * M_, x0 = (r % tW) * M_;                                                              \
        const int mh = H - y0 < M_ ? H - y0 : M_, mw = W - x0 < M_ ? W - x0 : M_;                                      \
        for (int c = 0; c < Cout8; c += 4) {                                                                           \
          const int keep = Cout - c;                                                                                   \
          f4 d[M_][M_], tmp[AL][M_], col[M_], o[AL];                                                                   \
          for (int i = 0; i < M_; i++)                                                                                 \
            for (int j = 0; j < M_; j++) {                                                                             \
              const float* p = dy + (((long)n * H + y0 + i) * W + x0 + j) * Cout + c;                                  \
              d[i][j] = i >= mh || j >= mw || keep <= 0 ? SPL(0) : keep >= 4 ? LD(p) : keep_lanes(LD(p), keep);        \
            }                                                                                                          \
          for (int j = 0; j < M_; j++) {                                                                               \
            for (int i = 0; i < M_; i++) col[i] = d[i][j];                                                             \
            AA(col, o);                                                                                                \
            for (int i = 0; i < AL; i++) tmp[i][j] = o[i];                                                             \
          }                                                                                                            \
          for (int i = 0; i < AL; i++) {                                                                               \
            AA(tmp[i], o);                                                                                             \
            for (int j = 0; j < AL; j++) ST(Mb + ((i * AL + j) * TB + t) * Cout8 + c, o[j]);                           \
          }                                                                                                            \
        }                                                                                                              \
      }                                                                                                                \
      block_gemm_t(AL * AL, TB, nt, Cin4, Cout8, V, Mb, dU);                                                           \
    }                                                                                                                  \
  }                                                                                                                    \
                                                                                                                       \
  void filter_grad_out_f##M_(const float* dU, int parts, int Cin, int Cout, float* dW) {                             \
    const int Cin4 = (Cin + 3) & ~3, Cout8 = (Cout + 7) & ~7;                                                         \
    const long part = (long)AL * AL * Cin4 * Cout8;                                                                    \
    /* dW[kh][kw][ci][co] = (G^T dU[ci][co] G)[kh][kw] */                                                              \
    for (int ci = 0; ci < Cin; ci++)                                                                                   \
      for (int co = 0; co < Cout; co += 4) {                                                                           \
        const int keep = Cout - co;                                                                                    \
        f4 u[AL][AL], tmp[3][AL], col[AL], o[3];                                                                       \
        for (int a = 0; a < AL; a++)                                                                                   \
          for (int b = 0; b < AL; b++) {                                                                               \
            const float* q = dU + ((a * AL + b) * Cin4 + ci) * Cout8 + co;                                             \
            u[a][b] = LD(q);                                                                                           \
            for (int k = 1; k < parts; k++) u[a][b] = ADD(u[a][b], LD(q + k * part));                                  \
          }                                                                                                            \
        for (int b = 0; b < AL; b++) {                                                                                 \
          for (int a = 0; a < AL; a++) col[a] = u[a][b];                                                               \
          GTT(col, o);                                                                                                 \
          for (int k = 0; k < 3; k++) tmp[k][b] = o[k];                                                                \
        }                                                                                                              \
        for (int kh = 0; kh < 3; kh++) {                                                                               \
          GTT(tmp[kh], o);                                                                                             \
          for (int kw = 0; kw < 3; kw++) store_lanes(dW + ((kh * 3 + kw) * Cin + ci) * Cout + co, o[kw], keep);         \
        }                                                                                                              \
      }                                                                                                                \
  }

WINOGRAD(2, 4, bt2, at2, g2, a2, gt2)
WINOGRAD(4, 6, bt4, at4, g4, a4, gt4)
