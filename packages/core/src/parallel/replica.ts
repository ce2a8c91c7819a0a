/**
 * A model's replicated state, the same on the main thread and in a worker:
 * the tensors a DataParallelTable copies between replicas, in an order both
 * sides derive from the architecture alone. No tfjs import here: the worker
 * entry uses it with the library instance it loaded (`tf` is passed in).
 */
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import type { Module } from '../nn/Module';
import { type WireDType, type WireTensor, isWireTensor, type Wire } from './protocol';

type TfLike = {
  tensor(values: WireTensor['data'], shape: number[], dtype: WireDType): Tensor;
  tidy<T extends Tensor | void>(fn: () => T): T;
};

/** What `toWire` asks of the library instance: which backend holds a tensor. */
type HolderLookup = {
  engine(): { state: { tensorInfo: WeakMap<object, { backend: unknown }> }; registry: Record<string, unknown> };
};

/** The part of tfjs's wasm backend that `toWire` reads a tensor's bytes through. */
type WasmHolder = { dataIdMap: { get(id: object): { memoryOffset: number } | undefined }; wasm: { HEAPU8: Uint8Array } };

export interface ReplicaState {
  /** Trainable tensors, each once (`parameters()`), and their gradient buffers. */
  params: Variable[];
  grads: Variable[];
  /** Non-trainable state (BatchNorm's running statistics), depth first. */
  buffers: Variable[];
  /** Every module, depth first (for `train` flags). */
  modules: Module[];
}

export function replicaState(model: Module): ReplicaState {
  const [params, grads] = model.parameters();
  const modules: Module[] = [];
  const walk = (m: Module) => {
    modules.push(m);
    for (const c of m.children()) walk(c);
  };
  walk(model);
  // `buffers` is protected (subclasses declare them); the replicas need the
  // raw variables, in our layout, without stateDict()'s copies and transposes.
  const seen = new Set<Variable>();
  const buffers: Variable[] = [];
  for (const m of modules) {
    for (const b of (m as unknown as { buffers: { value: Variable }[] }).buffers) {
      if (!seen.has(b.value)) buffers.push(b.value);
      seen.add(b.value);
    }
  }
  return { params, grads, buffers, modules };
}

/**
 * The wasm backend holding `t`, or null where another backend holds it.
 * wasm's read copies out of its heap, while cpu's hands out the tensor's own
 * storage, which a transfer would detach. Asked of the backend that holds `t`,
 * which need not be the active one (a tensor made before a `setBackend` stays
 * where it was until used).
 */
function wasmHolder(tf: HolderLookup, t: Tensor): WasmHolder | null {
  const engine = tf.engine();
  const holder = engine.state.tensorInfo.get(t.dataId)?.backend;
  return holder !== undefined && holder === engine.registry.wasm ? (holder as WasmHolder) : null;
}

/**
 * A tensor's data as a message part, in a buffer of its own that the message
 * transfers: the read itself where it is a new array (wasm), else a copy of it.
 * `into`, an array that came in a message and is free again, is filled instead
 * where the tensor is on wasm and is float32 of the same size: the parameters
 * and gradients then travel between the threads in the same buffers every step
 * (new ones, megabytes a step, cost a full garbage collection about every other
 * step: docs/results.md, "Inside the main job's data-parallel step").
 */
export async function toWire(tf: HolderLookup, t: Tensor, into?: WireTensor['data']): Promise<WireTensor> {
  const holder = wasmHolder(tf, t);
  const wire = (data: WireTensor['data']): WireTensor => ({ tensor: true, shape: t.shape.slice(), dtype: t.dtype as WireDType, data });
  if (holder && into instanceof Float32Array && t.dtype === 'float32' && into.length === t.size && into.buffer.byteLength === into.byteLength) {
    const at = holder.dataIdMap.get(t.dataId)?.memoryOffset;
    if (at !== undefined) {
      into.set(new Float32Array(holder.wasm.HEAPU8.buffer, at, t.size));
      return wire(into);
    }
  }
  const data = (await t.data()) as WireTensor['data'];
  return wire(holder ? data : data.slice());
}

/** A module's output (a tensor, or a table of them) as a message part: each tensor through `toWire`. */
export async function activityToWire(tf: HolderLookup, a: Tensor | unknown[]): Promise<Wire> {
  if (Array.isArray(a)) return Promise.all(a.map((x) => activityToWire(tf, x as Tensor | unknown[])));
  return toWire(tf, a);
}

/** A second message's copy of wire tensors (a transfer gives each buffer to one receiver only). */
export function copyWire(ws: WireTensor[]): WireTensor[] {
  return ws.map((w) => ({ ...w, shape: w.shape.slice(), data: w.data.slice() }));
}

/**
 * The replica's parameters and buffers for `count` workers' messages: read
 * once, then copied for each further worker (a transfer gives each buffer to
 * one receiver only), all before any message is sent. `spare[k]`, where given,
 * holds arrays of the parameters' sizes that worker k sent back (its gradients):
 * its parameters are read into them (`toWire`'s `into`).
 */
export async function stateWires(
  tf: HolderLookup,
  st: ReplicaState,
  count: number,
  spare: (WireTensor[] | undefined)[] = [],
): Promise<{ params: WireTensor[]; buffers: WireTensor[] }[]> {
  const read = (ts: Tensor[], into?: WireTensor[]) => Promise.all(ts.map((t, i) => toWire(tf, t, into?.[i]?.data)));
  const [params, buffers] = await Promise.all([read(st.params, spare[0]), read(st.buffers)]);
  return Promise.all(
    Array.from({ length: count }, async (_, i) =>
      i === 0 ? { params, buffers } : { params: spare[i] ? await read(st.params, spare[i]) : copyWire(params), buffers: copyWire(buffers) },
    ),
  );
}

export function fromWire(tf: TfLike, w: WireTensor): Tensor {
  return tf.tensor(w.data, w.shape, w.dtype);
}

/** Rebuilds an activity or target from the wire: tensors for tensors, numbers stay numbers. */
export function activityFromWire(tf: TfLike, w: Wire): unknown {
  if (isWireTensor(w)) return fromWire(tf, w);
  if (Array.isArray(w)) return w.map((x) => activityFromWire(tf, x));
  return w;
}

/** Overwrites variables with wire tensors, checking that the shapes agree. */
export function assignAll(tf: TfLike, vars: Variable[], wires: WireTensor[], what: string): void {
  if (vars.length !== wires.length) throw new Error(`${what}: expected ${vars.length} tensors, got ${wires.length}`);
  tf.tidy(() => {
    vars.forEach((v, i) => {
      const w = wires[i];
      if (w.shape.length !== v.shape.length || w.shape.some((d, k) => d !== v.shape[k]))
        throw new Error(`${what} ${i}: shape [${w.shape}] does not fit [${v.shape}]`);
      const t = fromWire(tf, w);
      v.assign(t.dtype === v.dtype ? t : t.cast(v.dtype));
    });
  });
}

export function shapesOf(vars: Variable[]): number[][] {
  return vars.map((v) => v.shape.slice());
}
