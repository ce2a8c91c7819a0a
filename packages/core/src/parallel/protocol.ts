/**
 * The messages between a DataParallelTable and its worker threads. Plain
 * data only (structured-clone-able); no tfjs here, so the worker entry can
 * import it without loading a copy of the library.
 *
 * Tensor data is transferred, not cloned (`transferList`): every
 * WireTensor's buffer is the message's own, and the sender gives it up.
 */
import type { ModuleSpec } from '../util/moduleSpec';

export type WireDType = 'float32' | 'int32' | 'bool';

/** A tensor as bytes: row-major data, its shape and dtype. The buffer belongs to the message (see `transferList`). */
export interface WireTensor {
  tensor: true;
  shape: number[];
  dtype: WireDType;
  data: Float32Array | Int32Array | Uint8Array;
}

/** An activity or target on the wire: tensors, plain numbers, and (nested) arrays of them. */
export type Wire = WireTensor | number | Wire[];

export function isWireTensor(w: unknown): w is WireTensor {
  return typeof w === 'object' && w !== null && (w as WireTensor).tensor === true;
}

/**
 * The buffers of a message's WireTensors, each once, for `postMessage`'s
 * transfer list: structured clone copies a large parameter set slowly
 * (docs/results.md, issue #17), a transfer hands it over without copying.
 * The sender's arrays are detached afterwards, so every WireTensor must own
 * its buffer and be sent once (`toWire` and `wireSlice` see to the first).
 */
export function transferList(message: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const walk = (x: unknown): void => {
    if (isWireTensor(x)) buffers.add(x.data.buffer as ArrayBuffer);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (typeof x === 'object' && x !== null) Object.values(x).forEach(walk);
  };
  walk(message);
  return [...buffers];
}

/** What the worker gets at start (`workerData`). */
export interface WorkerInit {
  /** 1-based; the main thread is replica 0. */
  index: number;
  /** URL of the library entry the worker loads: `../index.js` (or `../index.cjs`) beside the worker script. */
  core: string;
  /** The backend to start (`tf.getBackend()` of the main thread unless set). */
  backend: string;
  /** Module specifiers imported before the model is built (custom `registerModule` calls). */
  imports: string[];
  spec: ModuleSpec;
}

/** Main → worker. */
export type Request =
  | {
      kind: 'step';
      id: number;
      /** The main replica's parameters and buffers, in `replicaState` order. */
      params: WireTensor[];
      buffers: WireTensor[];
      /** Every module's `train` flag, depth first. */
      train: boolean[];
      /** The replica's random stream for this step (`manualSeed`), drawn from the main thread's: Dropout masks follow the run's seed. */
      seed: number;
      criterion: ModuleSpec;
      input: Wire;
      target: Wire;
      /** The shard's weight in the all-reduce (its share of the batch, or 1 for summed losses). */
      scale: number;
    }
  | {
      kind: 'forward';
      id: number;
      params: WireTensor[];
      buffers: WireTensor[];
      train: boolean[];
      seed: number;
      input: Wire;
    }
  | {
      kind: 'sync';
      id: number;
      params: WireTensor[];
      buffers: WireTensor[];
      train: boolean[];
    }
  | { kind: 'state'; id: number };

/** Worker → main. */
export type Reply =
  | { kind: 'ready'; params: number[][]; buffers: number[][]; modules: number }
  | { kind: 'step'; id: number; loss: number; grads: WireTensor[] }
  | { kind: 'forward'; id: number; output: Wire }
  | { kind: 'sync'; id: number }
  | { kind: 'state'; id: number; params: WireTensor[]; buffers: WireTensor[] }
  | { kind: 'error'; id: number | null; message: string; stack?: string; name?: string };
