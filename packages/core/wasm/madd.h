// acc + a·b on four lanes, the GEMM kernels' one multiply-add. The relaxed build (build.sh: -mrelaxed-simd
// -DRELAXED_SIMD) makes it one f32x4.relaxed_madd, which V8 fuses on CPUs with FMA; the plain build, a
// multiply and an add. Clang 14 emits the builtin as the relaxed-SIMD proposal's old opcode, which
// relaxed-madd.mjs rewrites to relaxed_madd's (a·b + c, the same operand order).
#ifndef CAPTCHA_NN_MADD_H
#define CAPTCHA_NN_MADD_H
#include <wasm_simd128.h>

#ifdef RELAXED_SIMD
#define FMADD(acc, a, b) __builtin_wasm_fma_f32x4(a, b, acc)
#else
#define FMADD(acc, a, b) wasm_f32x4_add(acc, wasm_f32x4_mul(a, b))
#endif

#endif
