import { MAX_WASM_THREADS, physicalCores, ready, setBackend, setWasmThreads } from '@captcha-nn/core';

/**
 * Starts the backend for a command that only reads images (eval, predict).
 * On wasm that is `threads` threads: by default the physical cores (at most
 * 8), unless CAPTCHA_NN_WASM_THREADS says otherwise. Batched inference of the
 * compact convnet on 2 threads ran at 1.78× one thread's speed, and batch 1
 * at the same speed (docs/results.md, "Threads inside a step"). Training
 * keeps one thread per data-parallel worker, which measured faster.
 */
export async function startInferenceBackend(o: { backend?: string; threads?: number }): Promise<void> {
  if (o.threads !== undefined) setWasmThreads(o.threads);
  else if (!process.env.CAPTCHA_NN_WASM_THREADS) setWasmThreads(Math.min(MAX_WASM_THREADS, await physicalCores()));
  await (o.backend ? setBackend(o.backend) : ready());
}
