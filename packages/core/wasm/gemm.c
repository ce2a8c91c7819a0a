// Matrix products in wasm SIMD for BatchMatMul.ts.
//
// c [m, n] = a [m, k] · b [k, n], row-major float32, for a short a: a batch
// of rows against a weight matrix (Linear's input gradient, dy · W). XNNPACK
// packs its second operand on every call, and a weight that changed since the
// last step costs it several times the product (docs/backends.md). Here b is
// read as it is, in strips of 8 or 16 columns, which stay in cache while every
// row of a passes over them; each sum runs over k in order, in float32.
#include <wasm_simd128.h>

#include "tile4x8.h"

typedef v128_t f4;

#define MADD(acc, s, p) acc = FMADD(acc, s, wasm_v128_load(p))

// Strips of 8 columns in 4×8 tiles where a strip's k rows stay in L1, 1.1-1.5×
// faster than strips of 16; past 1024 rows, strips of 16 use each cache line of b whole and win, though
// their 16 sums spill (docs/results.md, "Packed products").
static void short_a_8(const float *a, const float *b, float *c, int m, int k, int n, int j) {
  int i = 0;
  for (; i + 4 <= m; i += 4) tile4x8(a + (long)i * k, k, 1, b + j, n, k, c + (long)i * n + j, n, 8);
  for (; i < m; i++) tile1x8(a + (long)i * k, 1, b + j, n, k, c + (long)i * n + j, 8);
}

static void short_a_16(const float *a, const float *b, float *c, int m, int k, int n, int j) {
  int i = 0;
  for (; i + 4 <= m; i += 4) {
    f4 c00 = wasm_f32x4_splat(0), c01 = c00, c02 = c00, c03 = c00;
    f4 c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    f4 c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    f4 c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    const float *a0 = a + (long)i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
    for (int p = 0; p < k; p++) {
      const float *bp = b + (long)p * n + j;
      const f4 s0 = wasm_f32x4_splat(a0[p]), s1 = wasm_f32x4_splat(a1[p]), s2 = wasm_f32x4_splat(a2[p]), s3 = wasm_f32x4_splat(a3[p]);
      MADD(c00, s0, bp), MADD(c01, s0, bp + 4), MADD(c02, s0, bp + 8), MADD(c03, s0, bp + 12);
      MADD(c10, s1, bp), MADD(c11, s1, bp + 4), MADD(c12, s1, bp + 8), MADD(c13, s1, bp + 12);
      MADD(c20, s2, bp), MADD(c21, s2, bp + 4), MADD(c22, s2, bp + 8), MADD(c23, s2, bp + 12);
      MADD(c30, s3, bp), MADD(c31, s3, bp + 4), MADD(c32, s3, bp + 8), MADD(c33, s3, bp + 12);
    }
    float *c0 = c + (long)i * n + j, *c1 = c0 + n, *c2 = c1 + n, *c3 = c2 + n;
    wasm_v128_store(c0, c00), wasm_v128_store(c0 + 4, c01), wasm_v128_store(c0 + 8, c02), wasm_v128_store(c0 + 12, c03);
    wasm_v128_store(c1, c10), wasm_v128_store(c1 + 4, c11), wasm_v128_store(c1 + 8, c12), wasm_v128_store(c1 + 12, c13);
    wasm_v128_store(c2, c20), wasm_v128_store(c2 + 4, c21), wasm_v128_store(c2 + 8, c22), wasm_v128_store(c2 + 12, c23);
    wasm_v128_store(c3, c30), wasm_v128_store(c3 + 4, c31), wasm_v128_store(c3 + 8, c32), wasm_v128_store(c3 + 12, c33);
  }
  for (; i < m; i++) {
    f4 c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
    const float *ai = a + (long)i * k;
    for (int p = 0; p < k; p++) {
      const float *bp = b + (long)p * n + j;
      const f4 s = wasm_f32x4_splat(ai[p]);
      MADD(c0, s, bp), MADD(c1, s, bp + 4), MADD(c2, s, bp + 8), MADD(c3, s, bp + 12);
    }
    float *ci = c + (long)i * n + j;
    wasm_v128_store(ci, c0), wasm_v128_store(ci + 4, c1), wasm_v128_store(ci + 8, c2), wasm_v128_store(ci + 12, c3);
  }
}

void gemm_short_a(const float *a, const float *b, float *c, int m, int k, int n) {
  const int w = k > 1024 ? 16 : 8;
  int j = 0;
  for (; j + w <= n; j += w) (w == 8 ? short_a_8 : short_a_16)(a, b, c, m, k, n, j);
  // The last n mod w columns, one at a time.
  for (; j < n; j++)
    for (int i = 0; i < m; i++) {
      float s = 0.0f;
      for (int p = 0; p < k; p++) s += a[(long)i * k + p] * b[(long)p * n + j];
      c[(long)i * n + j] = s;
    }
}

// The general product, c [m, n] = a · b, in two passes. gemm_pack_b copies b
// into panels of 8 columns, each [k][8] (zeros past n), so the tiles read b
// in order; gemm_packed runs tile4x8 over them. Each sum runs over k in order.

// b is [k, n] (row stride n) or, with transposed, [n, k] (Linear's weight).
void gemm_pack_b(const float *b, int k, int n, int transposed, float *pb) {
  for (int j = 0; j < n; j += 8) {
    float *dst = pb + (long)j * k;
    const int w = n - j < 8 ? n - j : 8;
    for (int p = 0; p < k; p++, dst += 8) {
      if (!transposed && w == 8) {
        wasm_v128_store(dst, wasm_v128_load(b + (long)p * n + j));
        wasm_v128_store(dst + 4, wasm_v128_load(b + (long)p * n + j + 4));
        continue;
      }
      for (int q = 0; q < 8; q++) dst[q] = q >= w ? 0.0f : transposed ? b[(long)(j + q) * k + p] : b[(long)p * n + j + q];
    }
  }
}

// a is [m, k] or, with transposed_a, [k, m]; pb from gemm_pack_b.
void gemm_packed(const float *a, int transposed_a, const float *pb, float *c, int m, int k, int n) {
  const long ra = transposed_a ? 1 : k, pa = transposed_a ? m : 1;
  for (int j = 0; j < n; j += 8) {
    const float *panel = pb + (long)j * k;
    const int w = n - j < 8 ? n - j : 8;
    int i = 0;
    for (; i + 4 <= m; i += 4) tile4x8(a + i * ra, ra, pa, panel, 8, k, c + (long)i * n + j, n, w);
    for (; i < m; i++) tile1x8(a + i * ra, pa, panel, 8, k, c + (long)i * n + j, w);
  }
}
