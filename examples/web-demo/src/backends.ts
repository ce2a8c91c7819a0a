/**
 * The three browser backends. wasm is the core's default; its binaries are
 * imported with Vite's `?url`, so the build copies them (hashed) beside the
 * bundle and both the page and the worker find them. webgl and webgpu are
 * imported only when chosen (their own chunks: the page loads quicker), and
 * each is checked first so the page can say plainly why one is unavailable.
 */
import { setBackend, setWasmPaths, tf } from '@captcha-nn/core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const BACKENDS = ['wasm', 'webgl', 'webgpu'] as const;
export type DemoBackend = (typeof BACKENDS)[number];

// Absolute URLs: a worker resolves relative ones against its own script.
const abs = (u: string) => new URL(u, self.location.href).href;
setWasmPaths({
  'tfjs-backend-wasm.wasm': abs(wasmPlain),
  'tfjs-backend-wasm-simd.wasm': abs(wasmSimd),
  'tfjs-backend-wasm-threaded-simd.wasm': abs(wasmThreaded),
});

/** Why `name` cannot run here, in a sentence; null when it may. */
export async function whyUnavailable(name: DemoBackend): Promise<string | null> {
  if (name === 'wasm') return typeof WebAssembly === 'undefined' ? 'WebAssembly is missing in this browser.' : null;
  if (name === 'webgl') {
    if (typeof OffscreenCanvas === 'undefined') return 'OffscreenCanvas is missing, so WebGL cannot be probed.';
    const c = new OffscreenCanvas(1, 1);
    const gl = c.getContext('webgl2') ?? c.getContext('webgl');
    return gl ? null : 'this browser gives no WebGL context (WebGL is disabled, or it has no GPU and no software renderer).';
  }
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'navigator.gpu is missing: this browser has no WebGPU (it needs a recent Chrome/Edge, or a flag, and a secure context).';
  try {
    if (!(await gpu.requestAdapter())) return 'navigator.gpu.requestAdapter() found no adapter: no usable GPU for WebGPU.';
  } catch (e) {
    return `navigator.gpu.requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  return null;
}

/** Loads and starts `name` (the page or a worker); resolves to tfjs's backend name. */
export async function startBackend(name: DemoBackend): Promise<string> {
  const why = await whyUnavailable(name);
  if (why) throw new Error(`${name} is unavailable: ${why}`);
  if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  const used = await setBackend(name);
  return used || tf.getBackend();
}
