/**
 * Torch's `nn.DataParallelTable` on one machine: each batch is split along
 * its first dimension over N replicas of the model, each on its own thread
 * with its own tfjs backend, and their gradients are summed into the
 * model's own gradient buffers.
 *
 *   const dp = new DataParallelTable(model);            // N = physical cores
 *   for (const { x, y } of batches) {
 *     model.zeroGradParameters();
 *     const loss = await dp.backward(criterion, x, y);   // fills model's gradient buffers
 *     optim.sgd(() => [loss, gradParams], params, config, state);  // or model.updateParameters(lr)
 *   }
 *   await dp.dispose();
 *
 * Replica 0 is `model` itself, on the main thread; replicas 1…N−1 run in
 * worker threads (`dist/parallel/worker.js`), built from `model.toSpec()`.
 * N = 1 starts no worker: `backward` is then `fusedBackward`.
 *
 * Keeping replicas in sync: every `backward` sends the main model's
 * parameters and buffers (and every module's train flag) along with each
 * worker's shard, and the workers load them before computing. Broadcasting
 * state rather than replaying identical optimizer updates in every replica
 * is a choice: the optimizer then runs once, on the main thread, in the
 * user's own code (any `optim` method, learning-rate schedules, weight
 * clipping, a `loadStateDict` between steps all just work), and the replicas
 * hold bit-identical weights by construction, with no optimizer state to
 * replicate and no drift. It costs one copy of the parameters per worker per
 * step (transferred to the worker, not cloned), small beside the convolutions.
 *
 * BatchNorm: each replica normalises with its own shard's statistics, so a
 * model with BatchNormalization in training mode does not compute what one
 * thread on the whole batch would (as PyTorch's DDP without SyncBatchNorm).
 * The running statistics are the main replica's (updated from shard 0 only)
 * and are broadcast to the workers with the parameters, as DDP's
 * `broadcast_buffers` does from rank 0.
 *
 * Randomness (Dropout): each worker reseeds its random stream every step
 * with a seed drawn from the main thread's (`manualSeed`), so masks follow
 * the run's seed and a resumed run draws the same ones. They still differ
 * from a single-thread run's: each replica draws its own shard's masks.
 *
 * Custom module classes: the workers must be able to build them from the
 * spec, so pass the modules that `registerModule` them: `imports:
 * ['./my-layers.js']` (relative paths are resolved against process.cwd()).
 * Those files must load `@captcha-nn/core` as the main thread did (import
 * from ESM, require from CommonJS), so that they register into the
 * library instance the worker uses.
 */
import type { Criterion, Target } from '../nn/Criterion';
import type { Module } from '../nn/Module';
import { libraryUrl, type NodeFs, type NodeUrl, nodeImport } from '../util/nodeImport';
import { tf } from '../tf';
import { fusedBackward } from '../train/fusedStep';
import { type Activity, mapActivity } from '../util/activity';
import { nextSeed } from '../util/random';
import { reduceGradients, shardWeights } from './allReduce';
import { physicalCores } from './cores';
import type { Reply, Request, Wire, WireTensor } from './protocol';
import { activityFromWire, type ReplicaState, replicaState, stateWires } from './replica';
import { batchSizeOf, concatShards, disposeSlices, readBatch, shardSizes, sliceBatch, wireSlice } from './shard';
import { type Unnumbered, WorkerPool } from './WorkerPool';

export { ParallelWorkerError } from './WorkerPool';

type NodePathMod = typeof import('node:path');

export interface DataParallelOptions {
  /** Replicas, the main thread's included. Default: the number of physical CPU cores. */
  threads?: number;
  /**
   * Module specifiers each worker imports before building its replica, so
   * that custom classes are registered (`registerModule`). Relative paths
   * are resolved against `process.cwd()`.
   */
  imports?: string[];
  /** The workers' tfjs backend. Default: the main thread's (`tf.getBackend()`). */
  backend?: string;
  /**
   * The worker entry. Default: `parallel/worker.js` (or `.cjs`) beside the
   * package entry this code was loaded from. Set it when bundling your app,
   * or when running the library from source (tests). The worker loads the
   * library from `../index.js` (`../index.cjs` for a `.cjs` worker) beside it.
   */
  workerScript?: string | URL;
}

/** A replica's state as plain data (`replicaStates()`). */
export interface ReplicaSnapshot {
  params: { shape: number[]; data: Float32Array | Int32Array | Uint8Array }[];
  buffers: { shape: number[]; data: Float32Array | Int32Array | Uint8Array }[];
}

export class DataParallelTable {
  private pool: WorkerPool | null = null;
  private started: Promise<void> | null = null;
  private nThreads = 0;
  private disposed = false;
  /** Serialises calls: one step at a time over the pool. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The gradients each worker sent in the last step, summed and free: its next parameters go in them. */
  private spare: WireTensor[][] = [];

  constructor(
    readonly model: Module,
    private readonly options: DataParallelOptions = {},
  ) {
    const t = options.threads;
    if (t !== undefined && (!Number.isInteger(t) || t < 1)) throw new RangeError(`DataParallelTable: threads must be a positive integer, got ${t}`);
  }

  /** Replicas (main thread included); known once `ready()` resolves. */
  get threads(): number {
    return this.nThreads;
  }

  /** Starts the workers (once); `backward` calls it. Rejects naming the worker that failed. */
  ready(): Promise<this> {
    if (this.disposed) return Promise.reject(new Error('DataParallelTable: disposed'));
    this.started ??= this.start();
    return this.started.then(() => this);
  }

  private async start(): Promise<void> {
    const n = this.options.threads ?? (await physicalCores());
    this.nThreads = n;
    if (n === 1) return;
    const script = await resolveWorkerScript(this.options.workerScript);
    const imports = await Promise.all((this.options.imports ?? []).map(resolveImport));
    const { pool, ready } = await WorkerPool.start({
      count: n - 1,
      script,
      init: {
        core: new URL(script.pathname.endsWith('.cjs') ? '../index.cjs' : '../index.js', script).href,
        backend: this.options.backend ?? tf.getBackend(),
        imports,
        spec: this.model.toSpec(),
      },
    });
    this.pool = pool;
    const st = replicaState(this.model);
    const mismatch = ready.findIndex(
      (r) =>
        r.modules !== st.modules.length ||
        !sameShapes(
          r.params,
          st.params.map((p) => p.shape),
        ) ||
        !sameShapes(
          r.buffers,
          st.buffers.map((b) => b.shape),
        ),
    );
    if (mismatch >= 0) {
      await this.dispose();
      throw new Error(
        `DataParallelTable: the replica built from model.toSpec() in worker ${mismatch + 1} does not have the model's ` +
          'parameters and buffers (does the model share parameters, or have a module whose toSpec() misses an argument?)',
      );
    }
  }

  /**
   * Forward and backward of `criterion(model(input), target)` over the
   * batch, split over the replicas: adds the gradient of the full batch's
   * loss to the model's gradient buffers (it accumulates, as
   * `model.backward` does: zero them first), sets `criterion.output` and
   * resolves to the loss. Uses the fused step (`fusedBackward`) in every
   * replica, so `model.output` is not set. A worker's failure rejects with
   * a `ParallelWorkerError` naming the worker; the gradient buffers are then
   * partly filled.
   */
  backward(criterion: Criterion, input: Activity, target: Target): Promise<number> {
    return this.serially(() => this.step(criterion, input, target));
  }

  private async step(criterion: Criterion, input: Activity, target: Target): Promise<number> {
    await this.ready();
    const batch = batchSizeOf(input, target);
    const sizes = shardSizes(batch, this.nThreads);
    if (sizes.length === 1 || !this.pool) {
      return fusedBackward(this.model, criterion, input, target);
    }
    const weights = shardWeights(criterion, sizes);
    const criterionSpec = criterion.toSpec();
    const {
      st,
      mine: mainLoss,
      replies,
    } = await this.round<number, Reply & { kind: 'step' }>(
      [input, target] as Target,
      sizes,
      (state, shard, k) => ({ kind: 'step', ...state, criterion: criterionSpec, input: shard(input), target: shard(target), scale: weights[k] }),
      (slice) => fusedBackward(this.model, criterion, slice(input), slice(target), weights[0]),
    );
    reduceGradients(
      st.grads,
      replies.map((r) => r.grads),
    );
    this.spare = replies.map((r) => r.grads);
    const loss = weights[0] * mainLoss + replies.reduce((s, r, k) => s + weights[k + 1] * r.loss, 0);
    criterion.output = loss;
    return loss;
  }

  /**
   * The model's output for `input` (Torch's `DataParallelTable:forward`): the
   * batch split over the replicas as `backward` splits it, each shard's output
   * joined back in order. It runs in the model's mode, so call
   * `model.evaluate()` first for inference. Sends the model's parameters,
   * buffers and train flags first, as `backward` does. Resolves to new
   * tensors, the caller's to dispose; `model.output` holds shard 0's only.
   * `dim` is the output's batch dimension, along which the shards' outputs
   * are joined (default 0; 1 for a time-major [T, N, C] output).
   */
  forward(input: Activity, options: { dim?: number } = {}): Promise<Activity> {
    return this.serially(() => this.forwardShards(input, options.dim ?? 0));
  }

  private async forwardShards(input: Activity, dim: number): Promise<Activity> {
    await this.ready();
    const sizes = shardSizes(batchSizeOf(input, input), this.nThreads);
    if (sizes.length === 1 || !this.pool) return mapActivity(this.model.forward(input), (t) => t.clone());
    const { mine, replies } = await this.round<Activity, Reply & { kind: 'forward' }>(
      input,
      sizes,
      (state, shard) => ({ kind: 'forward', ...state, input: shard(input) }),
      (slice) => mapActivity(this.model.forward(slice(input)), (t) => t.clone()),
      disposeSlices,
    );
    const parts = [mine, ...replies.map((r) => activityFromWire(tf, r.output) as Activity)];
    try {
      return concatShards(parts, sizes, dim);
    } finally {
      parts.forEach(disposeSlices);
    }
  }

  /**
   * One round over the replicas: each worker gets the model's parameters,
   * buffers and train flags with its rows of `batch` (`shard` cuts them from
   * any part of it), in the message `request` builds; meanwhile `here` runs on
   * shard 0's rows (`slice`) on this thread. Rejects with this thread's error
   * first, then a worker's, freeing this thread's result with `discard`.
   */
  private async round<T, R extends Reply>(
    batch: Target,
    sizes: number[],
    request: (
      state: { params: WireTensor[]; buffers: WireTensor[]; train: boolean[]; seed: number },
      shard: (a: Target) => Wire,
      k: number,
    ) => Unnumbered<Request>,
    here: (slice: <A extends Target>(a: A) => A) => T,
    discard: (mine: T) => void = () => {},
  ): Promise<{ st: ReplicaState; mine: T; replies: R[] }> {
    const pool = this.pool!;
    const st = replicaState(this.model);
    const spare = this.spare;
    this.spare = [];
    const [wires, data] = await Promise.all([stateWires(tf, st, sizes.length - 1, spare), readBatch(batch)]);
    const train = st.modules.map((m) => m.train);
    const seeds = sizes.slice(1).map(() => nextSeed());
    // Workers first, so that they compute while the main thread does shard 0.
    const pending: Promise<Reply>[] = [];
    let start = sizes[0];
    for (let k = 1; k < sizes.length; k++) {
      const from = start;
      pending.push(
        pool.request(
          k - 1,
          request({ ...wires[k - 1], train, seed: seeds[k - 1] }, (a) => wireSlice(a, data, from, sizes[k]), k),
        ),
      );
      start += sizes[k];
    }
    const slices: Target[] = [];
    let mine: T | undefined;
    let mainError: unknown = null;
    try {
      mine = here((a) => {
        const s = sliceBatch(a, 0, sizes[0]);
        slices.push(s);
        return s;
      });
    } catch (e) {
      mainError = e ?? new Error('DataParallelTable: the main replica failed');
    } finally {
      slices.forEach(disposeSlices);
    }
    const results = await Promise.allSettled(pending);
    if (mainError) throw mainError;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      discard(mine as T);
      throw failed.reason;
    }
    return { st, mine: mine as T, replies: results.map((r) => (r as PromiseFulfilledResult<R>).value) };
  }

  /** Sends the model's parameters, buffers and train flags to every worker now (`backward` does it each step). */
  sync(): Promise<void> {
    return this.serially(async () => {
      await this.ready();
      if (!this.pool) return;
      const st = replicaState(this.model);
      const wires = await stateWires(tf, st, this.pool.size);
      const train = st.modules.map((m) => m.train);
      await Promise.all(wires.map((w, i) => this.pool!.request(i, { kind: 'sync', ...w, train })));
    });
  }

  /** Each worker replica's parameters and buffers as plain data (replicas 1…N−1), e.g. to check they are in sync. */
  replicaStates(): Promise<ReplicaSnapshot[]> {
    return this.serially(async () => {
      await this.ready();
      if (!this.pool) return [];
      const replies = await Promise.all(this.pool.workers.map((_, i) => this.pool!.request(i, { kind: 'state' })));
      const plain = (ws: WireTensor[]) => ws.map(({ shape, data }) => ({ shape, data }));
      return replies.map((r) => {
        const s = r as Reply & { kind: 'state' };
        return { params: plain(s.params), buffers: plain(s.buffers) };
      });
    });
  }

  /** Stops the worker threads. The model stays usable; this table does not. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.tail.catch(() => {});
    await this.started?.catch(() => {});
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  toString(): string {
    const n = this.nThreads || this.options.threads || '?';
    return `nn.DataParallelTable: ${n} x ${this.model.toString()}`;
  }

  private serially<T>(f: () => Promise<T>): Promise<T> {
    const run = this.tail.then(f, f);
    this.tail = run.catch(() => {});
    return run;
  }
}

function sameShapes(a: number[][], b: number[][]): boolean {
  return a.length === b.length && a.every((s, i) => s.length === b[i].length && s.every((d, k) => d === b[i][k]));
}

async function resolveWorkerScript(given: string | URL | undefined): Promise<URL> {
  const url = await nodeImport<NodeUrl>('node:url');
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const exists = (u: URL) =>
    fs.access(u).then(
      () => true,
      () => false,
    );
  if (given !== undefined) {
    const u = given instanceof URL ? given : /^file:/.test(given) ? new URL(given) : url.pathToFileURL(given);
    if (!(await exists(u))) throw new Error(`DataParallelTable: workerScript ${u.href} does not exist`);
    return u;
  }
  const here = libraryUrl(url);
  const file = here.pathname.endsWith('.cjs') ? 'worker.cjs' : 'worker.js';
  const candidates = [
    new URL(`./parallel/${file}`, here), // dist/index.js → dist/parallel/worker.js
    new URL(`../../dist/parallel/${file}`, here), // src/parallel/*.ts (from source) → the built one
  ];
  for (const c of candidates) if (await exists(c)) return c;
  throw new Error(
    `DataParallelTable: cannot find the worker entry (looked for ${candidates.map((c) => c.href).join(', ')}); ` +
      'build @captcha-nn/core, or pass workerScript',
  );
}

async function resolveImport(specifier: string): Promise<string> {
  if (!/^\.{1,2}[/\\]|^\//.test(specifier)) return specifier;
  const path = await nodeImport<NodePathMod>('node:path');
  const url = await nodeImport<NodeUrl>('node:url');
  return url.pathToFileURL(path.resolve(process.cwd(), specifier)).href;
}
