import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';

/** Backends the library knows by name. */
export type BackendName = 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu' | 'webgpu' | 'webgl' | 'auto';

const DEFAULT_BACKEND: BackendName = 'wasm';

/**
 * Selects and initialises a tfjs backend; with no name, reads
 * `CAPTCHA_NN_BACKEND` and falls back to wasm. Resolves to the backend in use.
 * Await it (or `ready()`) before the first forward: wasm starts asynchronously.
 */
export async function setBackend(name?: BackendName | string): Promise<string> {
  const wanted = name ?? envBackend() ?? DEFAULT_BACKEND;
  const ok = await tf.setBackend(wanted === 'auto' ? DEFAULT_BACKEND : wanted);
  if (!ok) throw new Error(`backend '${wanted}' failed to start`);
  await tf.ready();
  return tf.getBackend();
}

/** Initialises the backend chosen by `CAPTCHA_NN_BACKEND`, or wasm, if none is set yet. */
export async function ready(): Promise<string> {
  return setBackend();
}

function envBackend(): string | undefined {
  return typeof process !== 'undefined' ? process.env?.CAPTCHA_NN_BACKEND || undefined : undefined;
}
