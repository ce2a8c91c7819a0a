/**
 * The worker threads behind a DataParallelTable: starting them, matching
 * replies to requests, turning a worker's failure into a rejected promise
 * that names the worker, and shutting them down.
 *
 * Node only. `node:worker_threads` is imported when a pool starts, so
 * browser bundles of the core build without it.
 */
import type { Worker as NodeWorker } from 'node:worker_threads';
import { nodeImport } from '../util/nodeImport';
import { type Reply, type Request, transferList, type WorkerInit } from './protocol';

type WorkerThreads = typeof import('node:worker_threads');
type ReadyReply = Extract<Reply, { kind: 'ready' }>;
type Pending = { resolve: (r: Reply) => void; reject: (e: Error) => void };
/** Request without its id (the pool numbers them). */
export type Unnumbered<R> = R extends { id: number } ? Omit<R, 'id'> : never;

/** A worker thread failed: its error, an exit, or an uncaught exception. `worker` is 1-based. */
export class ParallelWorkerError extends Error {
  constructor(
    readonly worker: number,
    problem: string,
    readonly workerStack?: string,
  ) {
    super(`DataParallelTable worker ${worker}: ${problem}`);
    this.name = 'ParallelWorkerError';
    if (workerStack) this.stack = `${this.name}: ${this.message}\n    --- in the worker ---\n${workerStack}`;
  }
}

class WorkerHandle {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: ParallelWorkerError | null = null;
  private readyWaiter: Pending | null = null;
  readonly ready: Promise<ReadyReply>;
  exited = false;

  constructor(
    readonly index: number,
    readonly worker: NodeWorker,
  ) {
    this.ready = new Promise<Reply>((resolve, reject) => (this.readyWaiter = { resolve, reject })) as Promise<ReadyReply>;
    worker.on('message', (r: Reply) => this.onMessage(r));
    worker.on('error', (e: Error) => this.fail(new ParallelWorkerError(index, e.message, e.stack)));
    worker.on('messageerror', (e: Error) => this.fail(new ParallelWorkerError(index, `unreadable message: ${e.message}`)));
    worker.on('exit', (code: number) => {
      this.exited = true;
      this.fail(new ParallelWorkerError(index, `exited (code ${code})`));
    });
  }

  request(req: Unnumbered<Request>): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.updateRef();
      const message = { ...req, id } as Request;
      this.worker.postMessage(message, transferList(message));
    });
  }

  private onMessage(r: Reply): void {
    if (r.kind === 'ready') return this.settleReady((w) => w.resolve(r));
    if (r.kind === 'error' && r.id === null) {
      // Start-up failed (backend, imports, spec): nothing will work.
      return this.fail(new ParallelWorkerError(this.index, r.message, r.stack));
    }
    const p = this.pending.get(r.id!);
    if (!p) return;
    this.pending.delete(r.id!);
    this.updateRef();
    if (r.kind === 'error') p.reject(new ParallelWorkerError(this.index, r.message, r.stack));
    else p.resolve(r);
  }

  private settleReady(f: (w: Pending) => void): void {
    const w = this.readyWaiter;
    this.readyWaiter = null;
    if (w) f(w);
    this.updateRef();
  }

  private fail(e: ParallelWorkerError): void {
    if (!this.failure) this.failure = e;
    this.settleReady((w) => w.reject(this.failure!));
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  /**
   * An idle worker does not keep the process alive (a script that forgets
   * `dispose()` still exits); one with work outstanding does.
   */
  private updateRef(): void {
    if (this.exited) return;
    if (this.readyWaiter || this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  async terminate(): Promise<void> {
    if (!this.failure) this.failure = new ParallelWorkerError(this.index, 'disposed');
    if (!this.exited) await this.worker.terminate();
  }
}

export interface PoolOptions {
  /** Worker threads to start. */
  count: number;
  /** The worker entry: a file URL or path. */
  script: URL;
  /** Sent to every worker; `index` is filled in (1-based). */
  init: Omit<WorkerInit, 'index'>;
}

/**
 * The main thread's Node flags (loaders, --conditions…) minus those a worker
 * refuses: `--input-type` (a script run as `node --input-type=module -e …`)
 * makes every worker fail to start.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--input-type') i++;
    else if (!argv[i].startsWith('--input-type=')) out.push(argv[i]);
  }
  return out;
}

export class WorkerPool {
  private constructor(readonly workers: WorkerHandle[]) {}

  /** Starts the workers and waits until each has built its replica; on any failure, stops them all. */
  static async start({ count, script, init }: PoolOptions): Promise<{ pool: WorkerPool; ready: ReadyReply[] }> {
    const { Worker } = await nodeImport<WorkerThreads>('node:worker_threads');
    const handles: WorkerHandle[] = [];
    for (let i = 1; i <= count; i++) {
      const data: WorkerInit = { ...init, index: i };
      handles.push(new WorkerHandle(i, new Worker(script, { workerData: data, execArgv: workerExecArgv() })));
    }
    const pool = new WorkerPool(handles);
    const settled = await Promise.allSettled(handles.map((h) => h.ready));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await pool.close();
      throw failed.reason;
    }
    return { pool, ready: settled.map((s) => (s as PromiseFulfilledResult<ReadyReply>).value) };
  }

  get size(): number {
    return this.workers.length;
  }

  request(worker: number, req: Unnumbered<Request>): Promise<Reply> {
    return this.workers[worker].request(req);
  }

  /** Stops every worker thread (Worker.terminate); resolves once they have exited. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
