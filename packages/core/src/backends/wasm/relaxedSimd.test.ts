import { afterEach, expect, test } from 'vitest';
import { type Tensor4D, tf } from '../../tf';
import { describeWasmSimd, engineHasRelaxedSimd, resolveWasmSimd, wasmSimd } from './relaxedSimd';
import { WINOGRAD_RELAXED_WASM_BASE64, WINOGRAD_SHARED_RELAXED_WASM_BASE64, WINOGRAD_SHARED_WASM_BASE64, WINOGRAD_WASM_BASE64 } from './winogradBinary';

const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
/** f32x4.relaxed_madd's opcode, and the old one clang 14 emits for it, which no engine accepts. */
const count = (b: Uint8Array, op: number[]) => b.reduce((n, _, i) => n + (op.every((x, j) => b[i + j] === x) ? 1 : 0), 0);
const MADD = [0xfd, 0x85, 0x02];
const OLD_FMA = [0xfd, 0xaf, 0x01];

const saved = process.env.CAPTCHA_NN_WASM_SIMD;
afterEach(() => {
  if (saved === undefined) delete process.env.CAPTCHA_NN_WASM_SIMD;
  else process.env.CAPTCHA_NN_WASM_SIMD = saved;
});

test('the relaxed builds carry the final multiply-add opcode, validate exactly where the engine has relaxed SIMD, and the plain ones everywhere', () => {
  for (const b64 of [WINOGRAD_RELAXED_WASM_BASE64, WINOGRAD_SHARED_RELAXED_WASM_BASE64]) {
    const b = decode(b64);
    expect(count(b, MADD)).toBeGreaterThanOrEqual(72);
    expect(count(b, OLD_FMA)).toBe(0);
    expect(WebAssembly.validate(b)).toBe(engineHasRelaxedSimd());
  }
  for (const b64 of [WINOGRAD_WASM_BASE64, WINOGRAD_SHARED_WASM_BASE64]) expect(count(decode(b64), MADD)).toBe(0);
  expect(WebAssembly.validate(decode(WINOGRAD_WASM_BASE64))).toBe(true);
});

test('CAPTCHA_NN_WASM_SIMD: plain refuses the relaxed build, relaxed requires it, and anything else is an error naming it', () => {
  process.env.CAPTCHA_NN_WASM_SIMD = 'plain';
  expect(resolveWasmSimd()).toBe('plain');
  expect(describeWasmSimd('plain')).toContain('CAPTCHA_NN_WASM_SIMD=plain');
  process.env.CAPTCHA_NN_WASM_SIMD = 'fast';
  expect(() => resolveWasmSimd()).toThrow(/CAPTCHA_NN_WASM_SIMD 'fast'/);
  process.env.CAPTCHA_NN_WASM_SIMD = 'relaxed';
  if (engineHasRelaxedSimd()) expect(resolveWasmSimd()).toBe('relaxed');
  else expect(() => resolveWasmSimd()).toThrow(/no WebAssembly relaxed SIMD.*--experimental-wasm-relaxed-simd/);
  delete process.env.CAPTCHA_NN_WASM_SIMD;
  expect(resolveWasmSimd()).toBe(engineHasRelaxedSimd() ? 'relaxed' : 'plain');
  expect(describeWasmSimd('relaxed')).toBe('relaxed SIMD');
  if (!engineHasRelaxedSimd()) expect(describeWasmSimd('plain')).toContain(`Node ${process.versions.node}`);
});

// On wasm only (CAPTCHA_NN_BACKEND=cpu reports it skipped).
test.runIf(tf.getBackend() === 'wasm')('the kernels load the build the engine and CAPTCHA_NN_WASM_SIMD choose, and keep it', () => {
  // A 3×3 convolution that takes Winograd compiles and instantiates the kernels.
  const y = tf.tidy(() => tf.conv2d(tf.ones([1, 8, 8, 8]) as Tensor4D, tf.ones([3, 3, 8, 8]) as Tensor4D, 1, 'same'));
  y.dataSync();
  y.dispose();
  const loaded = wasmSimd();
  expect(loaded).toBe(resolveWasmSimd());
  // Fixed once the kernels are compiled: a later change of the variable does not claim another build.
  process.env.CAPTCHA_NN_WASM_SIMD = 'plain';
  expect(wasmSimd()).toBe(loaded);
});
