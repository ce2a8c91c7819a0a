import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount as wasmThreadsInUse, setWasmPaths as tfSetWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import { registerWasmKernels } from './backends/wasm/registerWasmKernels';
import { registerGradients } from './backends/gradients/registerGradients';
import { useWasmThreads } from './backends/wasm/nodeThreads';
import { BACKEND_NAMES, BackendError, type BackendName, loadOptional, startTfBackend } from './backends/loaders';

// Our wasm kernels (training needs kernels stock wasm lacks, and faster ones)
// and gradient fixes, registered on import so every backend switch sees them.
registerWasmKernels();
registerGradients();
quietCpuBackend();

/**
 * tfjs-backend-cpu prints an advert for tfjs-node to stderr on its first
 * tensor in Node; a library must not print. Same backend, same priority,
 * without the greeting.
 */
function quietCpuBackend(): void {
  tf.removeBackend('cpu');
  tf.registerBackend(
    'cpu',
    () => {
      const backend = new MathBackendCPU();
      (backend as unknown as { firstUse: boolean }).firstUse = false;
      return backend;
    },
    1,
  );
}

export { BACKEND_NAMES, BackendError, type BackendName };

const DEFAULT_BACKEND: BackendName = 'wasm';
const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** `auto` tries these in order, fastest first, and takes the first that starts. */
const AUTO_ORDER: BackendName[] = isNode ? ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm'] : ['webgpu', 'webgl', 'wasm'];

/**
 * Where the browser fetches the wasm binaries. `setWasmPaths` takes a prefix
 * (a folder URL ending in '/') or a map from file name
 * (`tfjs-backend-wasm.wasm`, `-simd.wasm`, `-threaded-simd.wasm`) to URL, as
 * @tensorflow/tfjs-backend-wasm's does; so does the global
 * `CAPTCHA_NN_WASM_PATHS`. With neither, tfjs fetches them from the folder
 * the page's script was served from: copy the three files from
 * `node_modules/@tensorflow/tfjs-backend-wasm/dist/` there. In Node they are
 * read from the installed package and nothing is needed.
 */
export function setWasmPaths(prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean): void {
  tfSetWasmPaths(prefixOrFileMap as never, usePlatformFetch);
  wasmPathsSet = true;
}
let wasmPathsSet = false;

function configureWasmPaths(): void {
  if (wasmPathsSet || isNode) return;
  const fromGlobal = (globalThis as { CAPTCHA_NN_WASM_PATHS?: string | Record<string, string> }).CAPTCHA_NN_WASM_PATHS;
  if (fromGlobal) setWasmPaths(fromGlobal);
}

/**
 * Threads for the wasm backend in Node: 1 (default, or
 * `CAPTCHA_NN_WASM_THREADS`) runs tfjs's single-threaded SIMD build; more
 * runs its threaded SIMD build with that many threads (XNNPACK's pool, and
 * our Winograd kernels split their tiles across them). Takes effect at the
 * next `setBackend('wasm')`, restarting a wasm backend that runs with
 * another count. In browsers tfjs decides (threads where the page is
 * cross-origin isolated).
 */
export function setWasmThreads(threads: number): void {
  if (!isWasmThreadCount(threads)) throw new RangeError(`setWasmThreads: threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${threads}`);
  wasmThreads = threads;
}

/** The threads the running wasm backend uses (tfjs's count; 1 for the single-threaded build), or the count asked for before it starts. */
export function getWasmThreads(): number {
  const inUse = tf.getBackend() === 'wasm' ? wasmThreadsInUse() : -1;
  return inUse > 0 ? inUse : wantedWasmThreads();
}

/** tfjs's own cap (its emscripten build pre-starts 8 workers). */
export const MAX_WASM_THREADS = 8;
let wasmThreads: number | undefined;

const isWasmThreadCount = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX_WASM_THREADS;

/** setWasmThreads' count, else CAPTCHA_NN_WASM_THREADS's, else 1. */
function wantedWasmThreads(): number {
  if (wasmThreads !== undefined) return wasmThreads;
  const v = typeof process !== 'undefined' ? process.env?.CAPTCHA_NN_WASM_THREADS : undefined;
  if (!v) return 1;
  if (!isWasmThreadCount(Number(v)))
    throw new BackendError(`captcha-nn: CAPTCHA_NN_WASM_THREADS must be an integer from 1 to ${MAX_WASM_THREADS}, got '${v}'`, 'wasm');
  return Number(v);
}

/**
 * Selects and initialises a tfjs backend; with no name, reads
 * `CAPTCHA_NN_BACKEND` and falls back to wasm. Resolves to the backend's name
 * as tfjs knows it (`tensorflow-gpu` runs as tfjs's `tensorflow`).
 * Await it (or `ready()`) before the first forward: backends start asynchronously.
 *
 * Names: `wasm` (default), `cpu`, `tensorflow` (@tensorflow/tfjs-node),
 * `tensorflow-gpu` (@tensorflow/tfjs-node-gpu), `webgpu`
 * (@tensorflow/tfjs-backend-webgpu; in Node also the `webgpu` package),
 * `webgl` (browsers), `auto` (the fastest that starts; logs its choice).
 * Optional packages are never dependencies: a missing one fails at once with
 * what to install; one that cannot start fails with its reason.
 */
export async function setBackend(name?: BackendName | string): Promise<string> {
  const wanted = (name ?? envBackend() ?? DEFAULT_BACKEND).trim();
  if (!(BACKEND_NAMES as readonly string[]).includes(wanted)) {
    throw new BackendError(
      `captcha-nn: unknown backend '${wanted}'${name === undefined ? ' (from CAPTCHA_NN_BACKEND)' : ''}. ` + `Valid names: ${BACKEND_NAMES.join(', ')}.`,
      wanted,
    );
  }
  if (wanted === 'auto') return auto();
  await start(wanted as BackendName);
  return tf.getBackend();
}

/** Initialises the backend chosen by `CAPTCHA_NN_BACKEND`, or wasm, if none is set yet. */
export async function ready(): Promise<string> {
  return setBackend();
}

async function start(name: BackendName): Promise<void> {
  if (name === 'wasm') {
    configureWasmPaths();
    if (isNode) useWasmThreads(wantedWasmThreads());
    return startTfBackend('wasm');
  }
  if (name === 'cpu') return startTfBackend('cpu');
  const spec = await loadOptional(name);
  return startTfBackend(spec.tfName, name);
}

async function auto(): Promise<string> {
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      await start(name);
      const how = skipped.length ? ` (skipped ${skipped.join('; ')})` : '';
      console.info(`captcha-nn: backend 'auto' chose '${name}'${how}`);
      return tf.getBackend();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      skipped.push(`${name}: ${/not installed/.test(msg) ? 'not installed' : msg.replace(/^captcha-nn: /, '')}`);
    }
  }
  throw new BackendError(`captcha-nn: backend 'auto' found none that starts: ${skipped.join('; ')}`, 'auto');
}

function envBackend(): string | undefined {
  return typeof process !== 'undefined' ? process.env?.CAPTCHA_NN_BACKEND || undefined : undefined;
}
