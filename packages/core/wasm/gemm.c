// c [m, n] = a [m, k] · b [k, n], row-major float32, for a short a: a batch
// of rows against a weight matrix (Linear's input gradient, dy · W). XNNPACK
// packs its second operand on every call, and a weight that changed since the
// last step costs it several times the product (docs/backends.md). Here b is
// read in strips of 16 columns, which stay in cache while every row of a
// passes over them; each sum runs over k in order, in float32.
#include <wasm_simd128.h>

typedef v128_t f4;

#define MADD(acc, s, p) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(s, wasm_v128_load(p)))

void gemm_short_a(const float *a, const float *b, float *c, int m, int k, int n) {
  int j = 0;
  for (; j + 16 <= n; j += 16) {
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
  // The last n mod 16 columns, one at a time.
  for (; j < n; j++)
    for (int i = 0; i < m; i++) {
      float s = 0.0f;
      for (int p = 0; p < k; p++) s += a[(long)i * k + p] * b[(long)p * n + j];
      c[(long)i * n + j] = s;
    }
}
