// The 4×8 GEMM tile that gemm.c's products and winograd.c's transformed-domain GEMMs share.
#ifndef CAPTCHA_NN_TILE4X8_H
#define CAPTCHA_NN_TILE4X8_H
#include <wasm_simd128.h>

#include "madd.h"

#define MADD2(x, y, s, u, v) (x = FMADD(x, s, u), y = FMADD(y, s, v))

// 4 rows of c times 8 columns (only the first w stored): a's element (i, p) at a[i·ra + p·pa], b's
// row p of the 8 columns at b[p·ldb] (8 in a packed panel, n in b as it is), c's rows n apart.
// 4×8 keeps its 8 sums, 2 vectors of b and a splat of a in 11 of the 16 SIMD registers V8 has on
// x64: a 6×8 or 4×12 tile spills, and runs at 25-28 GFLOP/s against 39-42 (docs/results.md,
// "Packed products").
static inline void tile4x8(const float *a, long ra, long pa, const float *b, long ldb, int k, float *c, int n, int w) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  const float *a0 = a, *a1 = a + ra, *a2 = a1 + ra, *a3 = a2 + ra;
  long o = 0;
  for (int p = 0; p < k; p++, o += pa, b += ldb) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    v128_t s;
    s = wasm_v128_load32_splat(a0 + o), MADD2(c00, c01, s, b0, b1);
    s = wasm_v128_load32_splat(a1 + o), MADD2(c10, c11, s, b0, b1);
    s = wasm_v128_load32_splat(a2 + o), MADD2(c20, c21, s, b0, b1);
    s = wasm_v128_load32_splat(a3 + o), MADD2(c30, c31, s, b0, b1);
  }
  if (w == 8) {
    wasm_v128_store(c, c00), wasm_v128_store(c + 4, c01), c += n;
    wasm_v128_store(c, c10), wasm_v128_store(c + 4, c11), c += n;
    wasm_v128_store(c, c20), wasm_v128_store(c + 4, c21), c += n;
    wasm_v128_store(c, c30), wasm_v128_store(c + 4, c31);
    return;
  }
  float t[32];
  wasm_v128_store(t, c00), wasm_v128_store(t + 4, c01), wasm_v128_store(t + 8, c10), wasm_v128_store(t + 12, c11);
  wasm_v128_store(t + 16, c20), wasm_v128_store(t + 20, c21), wasm_v128_store(t + 24, c30), wasm_v128_store(t + 28, c31);
  for (int r = 0; r < 4; r++)
    for (int q = 0; q < w; q++) c[(long)r * n + q] = t[r * 8 + q];
}

static inline void tile1x8(const float *a, long pa, const float *b, long ldb, int k, float *c, int w) {
  v128_t c0 = wasm_f32x4_splat(0), c1 = c0;
  long o = 0;
  for (int p = 0; p < k; p++, o += pa, b += ldb) {
    const v128_t s = wasm_v128_load32_splat(a + o);
    MADD2(c0, c1, s, wasm_v128_load(b), wasm_v128_load(b + 4));
  }
  float t[8];
  wasm_v128_store(t, c0), wasm_v128_store(t + 4, c1);
  for (int q = 0; q < w; q++) c[q] = t[q];
}

#endif
