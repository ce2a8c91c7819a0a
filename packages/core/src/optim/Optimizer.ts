import type { Variable } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { adadelta } from './adadelta';
import { adagrad } from './adagrad';
import { adam } from './adam';
import { disposeOptimState, type OptimMethod, type OptimState } from './common';
import { rmsprop } from './rmsprop';
import { sgd } from './sgd';

/** The optimizers by name. */
export const methods = { sgd, adam, adadelta, rmsprop, adagrad } as const satisfies Record<string, OptimMethod>;

export type OptimName = keyof typeof methods;

/** Anything with Torch's `parameters()`: a Module, or a hand-made pair of lists. */
export interface HasParameters {
  parameters(): [Variable[], Variable[]];
}

/**
 * A PyTorch-style handle on a Torch optimizer: it steps a model's
 * parameters with the gradients accumulated in the model's buffers, so the
 * classic loop reads
 *
 * ```ts
 * const opt = new Optimizer(model, 'sgd', { learningRate: 0.1, momentum: 0.9 });
 * model.zeroGradParameters();
 * const y = model.forward(x);
 * const loss = criterion.forward(y, t);
 * model.backward(x, criterion.backward(y, t));
 * opt.step(loss);
 * ```
 *
 * (or `fusedBackward(model, criterion, x, t)` in place of the middle three
 * lines). `config` holds Torch's config keys and may be changed between
 * steps (e.g. `opt.config.learningRate = 0.01`); `state` holds the
 * optimizer's counters and buffers (Torch's state table).
 */
export class Optimizer {
  readonly method: OptimMethod;

  constructor(
    readonly model: HasParameters,
    method: OptimName | OptimMethod,
    readonly config: OptimState = {},
    readonly state: OptimState = {},
  ) {
    if (typeof method === 'string') {
      const m = methods[method];
      if (!m) throw new Error(`optim: unknown method '${method}' (known: ${Object.keys(methods).join(', ')})`);
      this.method = m;
    } else {
      this.method = method;
    }
  }

  /**
   * One update from the gradients now in the model's buffers. `loss` is
   * only passed through (Torch's `fx`), and returned.
   */
  step(loss = 0): number {
    const [params, grads] = this.model.parameters();
    const [, [fx]] = this.method(() => [loss, grads], params, this.config, this.state);
    return fx;
  }

  /** Zeroes the model's gradient buffers (Torch's `zeroGradParameters`). */
  zeroGrad(): void {
    tf.tidy(() => {
      for (const g of this.model.parameters()[1]) g.assign(tf.zerosLike(g));
    });
  }

  /** Frees the optimizer's buffers; the next step starts afresh. */
  dispose(): void {
    disposeOptimState(this.state);
  }
}
