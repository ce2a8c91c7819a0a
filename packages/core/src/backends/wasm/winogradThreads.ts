/**
 * Our Winograd kernels on several threads, for tfjs's threaded wasm build in
 * Node: helper `worker_threads` each hold an instance of the shared-memory
 * build on the backend's (shared) heap, and take a share of a convolution's
 * tiles while the calling thread does its own. The caller then blocks
 * (Atomics.wait) until every share is done, so a kernel stays synchronous,
 * as tfjs kernels are. Helpers wait on a shared control block between calls,
 * which costs them no CPU.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** What the pool runs: the kernels that split by tile. */
export const POOL_KERNELS = ['conv_f2', 'conv_f4', 'filter_grad_sum_f2', 'filter_grad_sum_f4'] as const;
export type PoolKernel = (typeof POOL_KERNELS)[number];

// The control block, in int32 slots: a call's sequence number (helpers wait on
// it), how many helpers are done, the kernel (-1: exit), its shared arguments,
// then each helper's tile range, scratch block and sum block.
const SEQ = 0;
const DONE = 1;
const FN = 2;
const ARGS = 4;
const MAX_ARGS = 12;
const MAX_HELPERS = 7;
const RANGE = ARGS + MAX_ARGS;
const SCRATCH = RANGE + 2 * MAX_HELPERS;
const SUM = SCRATCH + MAX_HELPERS;
const SLOTS = SUM + MAX_HELPERS;

// The helper's program (run with `eval`, so it needs no file of its own; a
// dynamic import, as the code runs as CommonJS or, under the parent's
// --input-type=module, as ESM). Its arguments: the kernel's shared ones, then
// its range (p0, p1), and for conv its scratch in place of the shared one; for
// the filter gradient's sum, its scratch and its own sum block.
const HELPER = `
import('node:worker_threads').then(({ parentPort, workerData }) => {
const { module, memory, control, stack, index } = workerData;
const c = new Int32Array(control);
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
e.__stack_pointer.value = stack;
const fns = ${JSON.stringify(POOL_KERNELS)}.map((name) => e[name]);
parentPort.postMessage('ready');
let seq = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seq);
  seq = Atomics.load(c, ${SEQ});
  const fn = c[${FN}];
  if (fn < 0) break;
  const p0 = c[${RANGE} + 2 * index], p1 = c[${RANGE} + 2 * index + 1];
  if (p1 > p0) {
    const a = Array.from(c.subarray(${ARGS}, ${ARGS + MAX_ARGS}));
    if (fn < 2) fns[fn](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], c[${SCRATCH} + index], a[9], a[10], p0, p1);
    else fns[fn](a[0], a[1], a[2], a[3], a[4], a[5], a[6], c[${SCRATCH} + index], a[8], a[9], c[${SUM} + index], p0, p1);
  }
  Atomics.add(c, ${DONE}, 1);
  Atomics.notify(c, ${DONE});
}
});
`;

type WorkerCtor = typeof import('node:worker_threads').Worker;
type NodeWorker = InstanceType<WorkerCtor>;

interface Heap {
  _malloc(bytes: number): number;
}

/** One thread's share of a call: its tiles, its scratch block and (filter gradient) its sum block. */
export interface Share {
  p0: number;
  p1: number;
  scratch: number;
  sum?: number;
}

export class WinogradPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly workers: NodeWorker[] = [];

  private constructor(readonly helpers: number) {}

  /**
   * Starts `helpers` helper threads on `backend`'s shared heap with the
   * compiled shared-memory kernels; resolves once each has its instance.
   */
  static async start(backend: BackendWasm, memory: WebAssembly.Memory, module: WebAssembly.Module, helpers: number, Worker: WorkerCtor): Promise<WinogradPool> {
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new Error('WinogradPool: the backend heap is not shared memory (threaded tfjs build expected)');
    if (!Number.isInteger(helpers) || helpers < 1 || helpers > MAX_HELPERS)
      throw new RangeError(`WinogradPool: helpers must be 1 to ${MAX_HELPERS}, got ${helpers}`);
    const pool = new WinogradPool(helpers);
    const heap = backend.wasm as unknown as Heap;
    const stackBytes = 64 * 1024;
    const ready: Array<Promise<void>> = [];
    for (let index = 0; index < helpers; index++) {
      const stack = heap._malloc(stackBytes) + stackBytes;
      const w = new Worker(HELPER, { eval: true, workerData: { module, memory, control: pool.control.buffer, stack, index } });
      pool.workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      pool.close();
      throw e;
    }
    // Waiting helpers must not keep Node running once the program is done.
    for (const w of pool.workers) w.unref();
    return pool;
  }

  /** Threads a call can use: the helpers and the caller. */
  get threads(): number {
    return this.helpers + 1;
  }

  /**
   * Runs `kernel` with its shared `args` on each helper's share, while
   * `own` (the caller's share, run by the caller's instance) runs here; returns when all are done.
   */
  run(kernel: PoolKernel, args: number[], shares: readonly Share[], own: () => void): void {
    const c = this.control;
    if (args.length > MAX_ARGS) throw new Error(`WinogradPool: ${kernel} has ${args.length} shared arguments (at most ${MAX_ARGS})`);
    if (shares.length > this.helpers) throw new Error(`WinogradPool: ${shares.length} shares for ${this.helpers} helpers`);
    c[FN] = POOL_KERNELS.indexOf(kernel);
    args.forEach((a, i) => {
      c[ARGS + i] = a;
    });
    for (let i = 0; i < this.helpers; i++) {
      const s = shares[i];
      c[RANGE + 2 * i] = s?.p0 ?? 0;
      c[RANGE + 2 * i + 1] = s?.p1 ?? 0;
      c[SCRATCH + i] = s?.scratch ?? 0;
      c[SUM + i] = s?.sum ?? 0;
    }
    Atomics.store(c, DONE, 0);
    Atomics.add(c, SEQ, 1);
    Atomics.notify(c, SEQ);
    own();
    for (let done = Atomics.load(c, DONE); done < this.helpers; done = Atomics.load(c, DONE)) Atomics.wait(c, DONE, done);
  }

  /** Stops the helpers. */
  close(): void {
    Atomics.store(this.control, FN, -1);
    Atomics.add(this.control, SEQ, 1);
    Atomics.notify(this.control, SEQ);
    for (const w of this.workers) void w.terminate();
  }
}

/**
 * Splits `tiles` into at most `threads` contiguous ranges of whole blocks of
 * `block` tiles, as even as blocks allow; fewer when there are fewer blocks.
 */
export function splitTiles(tiles: number, block: number, threads: number): Array<[number, number]> {
  const blocks = Math.ceil(tiles / block);
  const parts = Math.max(1, Math.min(threads, blocks));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < parts; i++) {
    const b0 = Math.floor((i * blocks) / parts);
    const b1 = Math.floor(((i + 1) * blocks) / parts);
    out.push([b0 * block, Math.min(tiles, b1 * block)]);
  }
  return out;
}
