import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';

/**
 * Torch's `opfunc`: evaluates the loss at the current parameters and its
 * gradients, aligned with `params`. The optimizer takes ownership of the
 * returned gradient tensors and frees them after the update, except
 * variables (a model's gradient buffers, from `model.parameters()[1]`) and
 * the parameters themselves, which it never frees.
 */
export type FEval = (params: Variable[]) => [number, Tensor[]];

/** What every optimizer returns: the updated parameters and `[loss]`, as Torch's `x, {fx}`. */
export type OptimResult = [Variable[], number[]];

/** A config or state table, as Torch's: plain keys, plus the tensors the optimizer keeps. */
export type OptimState = Record<string, unknown>;

/** An optimizer with Torch's calling convention. */
export type OptimMethod = (feval: FEval, params: Variable[], config?: OptimState, state?: OptimState) => OptimResult;

/** The state keys each state table's optimizer created (its tensors and counters). */
const owned = new WeakMap<object, Set<string>>();

function own(state: OptimState, key: string): void {
  let keys = owned.get(state);
  if (!keys) owned.set(state, (keys = new Set()));
  keys.add(key);
}

/**
 * Frees the tensors an optimizer keeps in `state` (momentum buffers,
 * moment estimates…) and forgets its counters (`evalCounter`, `t`), so the
 * state starts afresh. Config values the caller put there are left alone.
 */
export function disposeOptimState(state: OptimState): void {
  const keys = owned.get(state);
  if (!keys) return;
  for (const k of keys) {
    const v = state[k];
    if (Array.isArray(v)) for (const t of v) if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
    delete state[k];
  }
  owned.delete(state);
}

/** Reads (or starts at 0) a counter kept in the state. */
export function counter(state: OptimState, key: string): number {
  if (state[key] === undefined) {
    state[key] = 0;
    own(state, key);
  }
  return state[key] as number;
}

/**
 * The per-parameter buffers kept under `key`, created as non-trainable
 * variables from `init(i)` on first use. Updates go through `assign`, so
 * the tensor count stays flat.
 */
export function buffers(state: OptimState, key: string, params: Variable[], init: (i: number) => Tensor): Variable[] {
  let bufs = state[key] as Variable[] | undefined;
  if (!bufs) {
    bufs = params.map((_, i) => tf.tidy(() => tf.variable(init(i), false)));
    state[key] = bufs;
    own(state, key);
  } else if (bufs.length !== params.length) {
    throw new Error(`optim: state '${key}' holds ${bufs.length} tensors for ${params.length} parameters`);
  }
  return bufs;
}

/** Runs `feval` and checks that its gradients line up with the parameters. */
export function evaluate(feval: FEval, params: Variable[]): [number, Tensor[]] {
  const [loss, grads] = feval(params);
  if (grads.length !== params.length) throw new Error(`optim: feval returned ${grads.length} gradients for ${params.length} parameters`);
  grads.forEach((g, i) => {
    const p = params[i];
    if (g.shape.length !== p.shape.length || g.shape.some((d, j) => d !== p.shape[j]))
      throw new Error(`optim: gradient ${i} has shape [${g.shape.join(',')}], expected [${p.shape.join(',')}] as its parameter`);
  });
  return [loss, grads];
}

/** Frees the gradients feval handed over, sparing variables and parameters. */
export function release(grads: Tensor[], params: Variable[]): void {
  const keep = new Set<Tensor>(params);
  for (const g of grads) if (!(g instanceof tf.Variable) && !keep.has(g) && !g.isDisposed) g.dispose();
}

/** Torch's `dfdx:add(wd, x)`, without touching the caller's gradient tensor. */
export function withWeightDecay(g: Tensor, x: Tensor, wd: number): Tensor {
  return wd !== 0 ? g.add(x.mul(wd)) : g;
}
