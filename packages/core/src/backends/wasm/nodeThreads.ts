/**
 * tfjs-backend-wasm's threaded SIMD build, in Node. tfjs ships it but turns
 * it off in Node (tfjs issue 3830): its pthread workers start from a `blob:`
 * URL, which Node's `Worker` refuses. The emscripten code itself runs pthreads
 * on `worker_threads`, so we start the same build with a worker script in a
 * file and register it as tfjs's `wasm` backend, kernels unchanged.
 *
 * tfjs caps its thread pool at half of `emscripten_num_logical_cores()`
 * (a guess at hyper-threads, read once as the module starts), which in Node
 * is `os.cpus().length`: 1 thread on a 2-CPU machine. While the module starts,
 * `os.cpus()` reports twice the threads asked for, so the cap is what the
 * caller chose.
 *
 * Our Winograd kernels get as many threads (winogradThreads.ts).
 *
 * Node only: the browser build of tfjs starts threads itself where the page
 * is cross-origin isolated.
 */
import type { BackendWasm as BackendWasmType } from '@tensorflow/tfjs-backend-wasm';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../tf';
import { libraryUrl, type NodeFs, type NodePath, type NodeUrl, nodeImport } from '../../util/nodeImport';
import { startWinogradThreads, stopWinogradThreads } from './winograd';

type NodeOs = typeof import('node:os');
type NodeModule = typeof import('node:module');
type NodeCrypto = typeof import('node:crypto');
type WorkerThreads = typeof import('node:worker_threads');

/** The emscripten module's surface that BackendWasm and we use. */
interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  tfjs?: unknown;
  PThread?: { runningWorkers: Array<{ unref(): void }> };
}
type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

const WASM_PRIORITY = 2; // tfjs-backend-wasm's own

/**
 * The pthread worker script, written once per content to the temp folder
 * (atomically, so concurrent processes never read half a file). tfjs keeps
 * it as a string whose "\n" escapes became newlines; tfjs escapes them again
 * before making its Blob, and so do we.
 */
async function workerScript(contents: string): Promise<string> {
  const [fs, path, os, crypto] = await Promise.all([
    nodeImport<NodeFs>('node:fs/promises'),
    nodeImport<NodePath>('node:path'),
    nodeImport<NodeOs>('node:os'),
    nodeImport<NodeCrypto>('node:crypto'),
  ]);
  const text = contents.replace(/\n/g, '\\n');
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `captcha-nn-tfjs-wasm-worker-${hash}.cjs`);
  try {
    if ((await fs.readFile(file, 'utf8')) === text) return file;
  } catch {
    // not written yet
  }
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
  return file;
}

/** Starts the threaded build with `threads` threads in its pool and wraps it as tfjs's BackendWasm. */
async function startThreaded(threads: number): Promise<BackendWasmType> {
  const [url, path, mod, osNs] = await Promise.all([
    nodeImport<NodeUrl>('node:url'),
    nodeImport<NodePath>('node:path'),
    nodeImport<NodeModule>('node:module'),
    nodeImport<NodeOs & { default?: NodeOs }>('node:os'),
  ]);
  const require = mod.createRequire(libraryUrl(url));
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  const main = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(main) as Factory;
  const { wasmWorkerContents } = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const worker = await workerScript(wasmWorkerContents);
  // The CommonJS `os` object, which the emscripten code reads through require('os').
  const os = osNs.default ?? osNs;
  const cpus = os.cpus;
  const one = cpus()[0];
  os.cpus = () => Array.from({ length: 2 * threads }, () => one!);
  let module: ThreadedModule;
  try {
    module = await factory({
      locateFile: (file: string) => (file.endsWith('.worker.js') ? worker : path.join(dir, file)),
      // What each pthread worker loads (the factory, as a script that defines it globally).
      mainScriptUrlOrBlob: main,
    });
  } finally {
    os.cpus = cpus;
  }
  // As tfjs-backend-wasm's init() wraps the module it starts.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  const backend = new BackendWasm(module as never);
  // XNNPACK's pool threads never exit; unreferenced, they do not keep Node running once the program is done.
  for (const w of module.PThread?.runningWorkers ?? []) w.unref();
  // Our Winograd kernels, which most convolutions take, split their tiles over the same number of threads.
  const { Worker } = await nodeImport<WorkerThreads>('node:worker_threads');
  await startWinogradThreads(backend, threads - 1, Worker);
  return backend;
}

type WasmFactory = () => Promise<BackendWasmType> | BackendWasmType;
let warned = false;

/** The threaded build, or where this Node cannot start it, the single-threaded one, saying so once. */
async function startThreadedOr(threads: number, single: WasmFactory): Promise<BackendWasmType> {
  try {
    return await startThreaded(threads);
  } catch (e) {
    if (!warned) console.warn(`captcha-nn: wasm threads are not available here (${e instanceof Error ? e.message : String(e)}); running on one thread`);
    warned = true;
    return single();
  }
}
let singleThreaded: WasmFactory | undefined;
let registered = 1;

/**
 * Makes tfjs's `wasm` backend the threaded build with `threads` threads
 * (1: tfjs's own single-threaded build, as registered on import). A `wasm`
 * backend already started with another count is disposed if it holds no
 * tensors (else this throws); the next `tf.setBackend('wasm')` starts the new one.
 */
export function useWasmThreads(threads: number): void {
  singleThreaded ??= tf.findBackendFactory('wasm') as WasmFactory;
  if (registered === threads) return;
  const running = tf.findBackend('wasm');
  const held = running ? running.numDataIds() : 0;
  if (held > 0)
    throw new Error(
      `setWasmThreads: the wasm backend already runs with ${registered} thread(s) and holds ${held} tensor(s), which a restart would lose; set the threads before the first tensor`,
    );
  if (running) stopWinogradThreads(running as BackendWasmType);
  tf.removeBackend('wasm');
  const single = singleThreaded;
  tf.registerBackend('wasm', threads > 1 ? () => startThreadedOr(threads, single) : single, WASM_PRIORITY);
  registered = threads;
}
