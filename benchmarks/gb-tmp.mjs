import { readFileSync } from 'node:fs';
import { tf, setBackend } from '@captcha-nn/core';
await setBackend('wasm');
const memory = new WebAssembly.Memory({ initial: 2000, maximum: 65536 });
const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync('/tmp/wprof/g2.wasm')), { env: { memory } }).exports;
for (const [M, K, N] of [[192*16, 64, 64], [192*16, 128, 128], [126*16, 256, 256], [60*16, 512, 512]]) {
  // ours: 16 GEMMs of [M/16 × K]·[K × N]
  const tb = M / 16;
  const V = 65536, U = V + M * K * 4, C = U + 16 * K * N * 4;
  new Float32Array(memory.buffer, V, M*K).fill(0.5);
  new Float32Array(memory.buffer, U, 16*K*N).fill(0.25);
  const a = tf.randomNormal([16, tb, K]), b = tf.randomNormal([16, K, N]);
  const to = [], tx = [];
  for (let r = 0; r < 12; r++) {
    let t = performance.now(); e.gemm(16, tb, K, N, V, U, C); to.push(performance.now() - t);
    t = performance.now(); tf.matMul(a, b).dispose(); tx.push(performance.now() - t);
  }
  const med = (x) => x.sort((p, q) => p - q)[6];
  const gf = 2 * M * K * N / 1e9;
  console.log(`M ${M} K ${K} N ${N}: ours ${med(to).toFixed(1)} ms ${(gf / med(to) * 1e3).toFixed(1)} GF/s; (loop-swapped) XNNPACK batched matMul ${med(tx).toFixed(1)} ms ${(gf / med(tx) * 1e3).toFixed(1)} GF/s`);
  tf.dispose([a, b]);
}
