// One LSTM cell step and its backward pass (PyTorch nn.LSTM's maths, gates
// i, f, g, o), elementwise over rows of h values, for wasm32 with simd128;
// the twins of src/backends/wasm/LstmCell.ts's JavaScript loops. Composed of
// tfjs ops, a step was some fifteen kernels forward and twenty backward, each
// a call over a few thousand values. Built into the Winograd module (./build.sh).
#include <wasm_simd128.h>

typedef v128_t f4;

// e^x, Cephes' expf: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by a degree-6
// polynomial, 2^n by the exponent bits; x clamped to where e^x is a normal
// float. NaN stays NaN (min and max propagate it).
static inline f4 exp4(f4 x) {
  x = wasm_f32x4_max(wasm_f32x4_min(x, wasm_f32x4_splat(88.3762626647949f)), wasm_f32x4_splat(-87.3365447505531f));
  const f4 n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  f4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_add(r, wasm_f32x4_mul(n, wasm_f32x4_splat(2.12194440e-4f)));
  f4 p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), wasm_f32x4_splat(1.0f));
  const f4 scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, scale);
}

static inline f4 sigmoid4(f4 x) {
  const f4 one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(x))));
}

// tanh x = 1 − 2 / (e^{2x} + 1): within 1.2e-7 of it, saturating to ±1.
static inline f4 tanh4(f4 x) {
  const f4 one = wasm_f32x4_splat(1.0f);
  const f4 e = exp4(wasm_f32x4_add(x, x));
  return wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
}

// From pre-activations pre [n, 4h] and the previous cell c_prev [n, h]:
// h_out = o·tanh(c_out), c_out = f·c_prev + i·g, and gates [n, 5h] = i, f, g, o, tanh(c_out)
// for the backward pass. h a multiple of 4.
void lstm_cell(const float *pre, const float *c_prev, int n, int h, float *h_out, float *c_out, float *gates) {
  for (int row = 0; row < n; row++) {
    const float *a = pre + row * 4 * h;
    float *s = gates + row * 5 * h;
    for (int k = 0; k < h; k += 4) {
      const f4 i = sigmoid4(wasm_v128_load(a + k));
      const f4 f = sigmoid4(wasm_v128_load(a + h + k));
      const f4 g = tanh4(wasm_v128_load(a + 2 * h + k));
      const f4 o = sigmoid4(wasm_v128_load(a + 3 * h + k));
      const f4 c = wasm_f32x4_add(wasm_f32x4_mul(f, wasm_v128_load(c_prev + row * h + k)), wasm_f32x4_mul(i, g));
      const f4 tc = tanh4(c);
      wasm_v128_store(c_out + row * h + k, c);
      wasm_v128_store(h_out + row * h + k, wasm_f32x4_mul(o, tc));
      wasm_v128_store(s + k, i);
      wasm_v128_store(s + h + k, f);
      wasm_v128_store(s + 2 * h + k, g);
      wasm_v128_store(s + 3 * h + k, o);
      wasm_v128_store(s + 4 * h + k, tc);
    }
  }
}

// The backward of lstm_cell from dh [n, h] and the next step's dc [n, h]
// (dc_next 0: none): dpre [n, 4h] and dc_prev [n, h], in kernels.ts's
// lstmBackward's order of operations. h a multiple of 4.
void lstm_cell_grad(const float *gates, const float *c_prev, const float *dh, const float *dc_next, int n, int h, float *dpre,
                    float *dc_prev) {
  const f4 one = wasm_f32x4_splat(1.0f);
  for (int row = 0; row < n; row++) {
    const float *s = gates + row * 5 * h;
    float *d = dpre + row * 4 * h;
    for (int k = 0; k < h; k += 4) {
      const int at = row * h + k;
      const f4 i = wasm_v128_load(s + k), f = wasm_v128_load(s + h + k), g = wasm_v128_load(s + 2 * h + k);
      const f4 o = wasm_v128_load(s + 3 * h + k), tc = wasm_v128_load(s + 4 * h + k);
      const f4 dhv = wasm_v128_load(dh + at);
      const f4 dop = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dhv, tc), o), wasm_f32x4_sub(one, o));
      f4 dc = wasm_f32x4_mul(wasm_f32x4_mul(dhv, o), wasm_f32x4_sub(one, wasm_f32x4_mul(tc, tc)));
      if (dc_next) dc = wasm_f32x4_add(dc, wasm_v128_load(dc_next + at));
      wasm_v128_store(d + k, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dc, g), i), wasm_f32x4_sub(one, i)));
      wasm_v128_store(d + h + k, wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(dc, wasm_v128_load(c_prev + at)), f), wasm_f32x4_sub(one, f)));
      wasm_v128_store(d + 2 * h + k, wasm_f32x4_mul(wasm_f32x4_mul(dc, i), wasm_f32x4_sub(one, wasm_f32x4_mul(g, g))));
      wasm_v128_store(d + 3 * h + k, dop);
      wasm_v128_store(dc_prev + at, wasm_f32x4_mul(dc, f));
    }
  }
}
