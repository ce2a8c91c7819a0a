import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../nn/testing';
import { tf } from '../tf';
import { adadelta, adagrad, adam, disposeOptimState, type FEval, type OptimState, optim, rmsprop, sgd } from './index';

// Two parameters (a [2] and a [2,2] tensor), flattened to 6 numbers in the reference.
const x0 = [1, -2, 0.5, 3, -1, 0.25];
// f(x) = Σ ½ c x² + d x, so df/dx = c x + d
const c = [1, 2, 0.5, 1.5, 3, 0.8];
const d = [0.1, -0.3, 0.2, 0, 0.5, -1];

function makeParams(): Variable[] {
  return [tf.variable(tf.tensor1d(x0.slice(0, 2))), tf.variable(tf.tensor2d(x0.slice(2), [2, 2]))];
}
const C = () => [tf.tensor1d(c.slice(0, 2)), tf.tensor2d(c.slice(2), [2, 2])];
const D = () => [tf.tensor1d(d.slice(0, 2)), tf.tensor2d(d.slice(2), [2, 2])];

/** A feval that returns fresh gradient tensors (the optimizer frees them). */
function quadratic(): { feval: FEval; dispose: () => void } {
  const cs = C();
  const ds = D();
  const feval: FEval = (ps) => {
    const loss = tf.tidy(() => tf.addN(ps.map((p, i) => tf.sum(p.square().mul(cs[i]).mul(0.5).add(p.mul(ds[i]))))).dataSync()[0]);
    return [loss, ps.map((p, i) => tf.tidy(() => p.mul(cs[i]).add(ds[i])))];
  };
  return { feval, dispose: () => [...cs, ...ds].forEach((t) => t.dispose()) };
}

function flat(ps: Tensor[]): number[] {
  return ps.flatMap((p) => Array.from(p.dataSync()));
}

const grad = (x: number[]) => x.map((v, i) => c[i] * v + d[i]);

/** Runs `steps` updates of an optimizer and its plain-JS reference side by side. */
function check(
  method: (f: FEval, p: Variable[], cfg?: OptimState, st?: OptimState) => unknown,
  config: OptimState,
  reference: (x: number[], step: number, s: Record<string, number[]>) => number[],
  steps = 3,
) {
  const ps = makeParams();
  const q = quadratic();
  const cfg = { ...config };
  let x = [...x0];
  const s: Record<string, number[]> = {};
  for (let k = 0; k < steps; k++) {
    const fx = x.reduce((a, v, i) => a + 0.5 * c[i] * v * v + d[i] * v, 0);
    const [, losses] = method(q.feval, ps, cfg) as [Variable[], number[]];
    expect(losses[0]).toBeCloseTo(fx, 4);
    x = reference(x, k, s);
    expectClose(flat(ps), x, { atol: 1e-5, rtol: 1e-5 });
  }
  disposeOptimState(cfg);
  q.dispose();
  ps.forEach((p) => p.dispose());
}

describe('optim.sgd', () => {
  it('plain: x -= lr·g, default lr 1e-3', () => {
    check(sgd, {}, (x) => x.map((v, i) => v - 1e-3 * grad(x)[i]));
    check(sgd, { learningRate: 0.1 }, (x) => x.map((v, i) => v - 0.1 * grad(x)[i]));
  });

  it('momentum (dampening defaults to momentum), weight decay, learning-rate decay', () => {
    const lr = 0.1;
    const mom = 0.9;
    const wd = 0.05;
    const lrd = 0.2;
    check(sgd, { learningRate: lr, momentum: mom, weightDecay: wd, learningRateDecay: lrd }, (x, k, s) => {
      const g = grad(x).map((v, i) => v + wd * x[i]);
      s.v = k === 0 ? g : s.v.map((v, i) => mom * v + (1 - mom) * g[i]);
      const clr = lr / (1 + k * lrd);
      return x.map((v, i) => v - clr * s.v[i]);
    });
  });

  it('Nesterov with dampening 0, and individual learning rates', () => {
    const lr = 0.05;
    const mom = 0.5;
    check(sgd, { learningRate: lr, momentum: mom, dampening: 0, nesterov: true }, (x, k, s) => {
      const g = grad(x);
      s.v = k === 0 ? g : s.v.map((v, i) => mom * v + g[i]);
      return x.map((v, i) => v - lr * (g[i] + mom * s.v[i]));
    });
    const lrsFlat = [1, 0.5, 2, 0, 1, 3];
    const lrs = [tf.tensor1d(lrsFlat.slice(0, 2)), tf.tensor2d(lrsFlat.slice(2), [2, 2])];
    check(sgd, { learningRate: lr, learningRates: lrs }, (x) => x.map((v, i) => v - lr * lrsFlat[i] * grad(x)[i]));
    lrs.forEach((t) => t.dispose());
  });

  it('rejects Nesterov without momentum or with dampening, as Torch', () => {
    const ps = makeParams();
    const q = quadratic();
    expect(() => sgd(q.feval, ps, { nesterov: true })).toThrow('Nesterov momentum requires');
    expect(() => sgd(q.feval, ps, { nesterov: true, momentum: 0.9 })).toThrow('Nesterov momentum requires');
    q.dispose();
    ps.forEach((p) => p.dispose());
  });

  it('keeps evalCounter in the state (config by default)', () => {
    const ps = makeParams();
    const q = quadratic();
    const config: OptimState = { learningRate: 0.1 };
    for (let i = 0; i < 3; i++) sgd(q.feval, ps, config);
    expect(config.evalCounter).toBe(3);
    const state: OptimState = {};
    sgd(q.feval, ps, config, state);
    expect(state.evalCounter).toBe(1);
    expect(config.evalCounter).toBe(3);
    q.dispose();
    ps.forEach((p) => p.dispose());
  });
});

describe('optim.adam', () => {
  it("Torch's formula: ε added to the uncorrected √v", () => {
    for (const cfg of [{}, { learningRate: 0.1, beta1: 0.8, beta2: 0.9, epsilon: 1e-3, weightDecay: 0.1, learningRateDecay: 0.5 }]) {
      const lr = (cfg as { learningRate?: number }).learningRate ?? 1e-3;
      const b1 = (cfg as { beta1?: number }).beta1 ?? 0.9;
      const b2 = (cfg as { beta2?: number }).beta2 ?? 0.999;
      const eps = (cfg as { epsilon?: number }).epsilon ?? 1e-8;
      const wd = (cfg as { weightDecay?: number }).weightDecay ?? 0;
      const lrd = (cfg as { learningRateDecay?: number }).learningRateDecay ?? 0;
      check(adam, cfg, (x, k, s) => {
        const g = grad(x).map((v, i) => v + wd * x[i]);
        s.m = (s.m ?? x.map(() => 0)).map((m, i) => b1 * m + (1 - b1) * g[i]);
        s.v = (s.v ?? x.map(() => 0)).map((v, i) => b2 * v + (1 - b2) * g[i] * g[i]);
        const t = k + 1;
        const clr = lr / (1 + k * lrd);
        const step = (clr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        return x.map((v, i) => v - (step * s.m[i]) / (Math.sqrt(s.v[i]) + eps));
      });
    }
  });
});

describe('optim.adadelta', () => {
  it('rho .9, eps 1e-6, full step (lr 1); weight decay and lr when given', () => {
    for (const cfg of [{}, { rho: 0.5, eps: 1e-2, weightDecay: 0.1, learningRate: 0.5 }] as OptimState[]) {
      const rho = (cfg.rho as number) ?? 0.9;
      const eps = (cfg.eps as number) ?? 1e-6;
      const wd = (cfg.weightDecay as number) ?? 0;
      const lr = (cfg.learningRate as number) ?? 1;
      check(adadelta, cfg, (x, _k, s) => {
        const g = grad(x).map((v, i) => v + wd * x[i]);
        s.var = (s.var ?? x.map(() => 0)).map((v, i) => rho * v + (1 - rho) * g[i] * g[i]);
        const acc = s.acc ?? x.map(() => 0);
        const delta = g.map((gi, i) => (Math.sqrt(acc[i] + eps) / Math.sqrt(s.var[i] + eps)) * gi);
        s.acc = acc.map((a, i) => rho * a + (1 - rho) * delta[i] * delta[i]);
        return x.map((v, i) => v - lr * delta[i]);
      });
    }
  });
});

describe('optim.rmsprop', () => {
  it('m ← αm + (1−α)g²; x ← x − lr·g/(√m + ε)', () => {
    for (const cfg of [{}, { learningRate: 0.1, alpha: 0.5, epsilon: 1e-3, weightDecay: 0.2, initialMean: 1 }] as OptimState[]) {
      const lr = (cfg.learningRate as number) ?? 1e-2;
      const alpha = (cfg.alpha as number) ?? 0.99;
      const eps = (cfg.epsilon as number) ?? 1e-8;
      const wd = (cfg.weightDecay as number) ?? 0;
      const m0 = (cfg.initialMean as number) ?? 0;
      check(rmsprop, cfg, (x, _k, s) => {
        const g = grad(x).map((v, i) => v + wd * x[i]);
        s.m = (s.m ?? x.map(() => m0)).map((m, i) => alpha * m + (1 - alpha) * g[i] * g[i]);
        return x.map((v, i) => v - (lr * g[i]) / (Math.sqrt(s.m[i]) + eps));
      });
    }
  });
});

describe('optim.adagrad', () => {
  it('s ← s + g²; x ← x − clr·g/(√s + 1e-10)', () => {
    for (const cfg of [{}, { learningRate: 0.1, learningRateDecay: 0.5, weightDecay: 0.1 }] as OptimState[]) {
      const lr = (cfg.learningRate as number) ?? 1e-3;
      const lrd = (cfg.learningRateDecay as number) ?? 0;
      const wd = (cfg.weightDecay as number) ?? 0;
      check(adagrad, cfg, (x, k, s) => {
        const g = grad(x).map((v, i) => v + wd * x[i]);
        s.s = (s.s ?? x.map(() => 0)).map((v, i) => v + g[i] * g[i]);
        const clr = lr / (1 + k * lrd);
        return x.map((v, i) => v - (clr * g[i]) / (Math.sqrt(s.s[i]) + 1e-10));
      });
    }
  });
});

describe('optim memory', () => {
  const all: [string, OptimState][] = [
    ['sgd', { learningRate: 0.01, momentum: 0.9, weightDecay: 1e-3 }],
    ['adam', { learningRate: 0.01 }],
    ['adadelta', {}],
    ['rmsprop', {}],
    ['adagrad', { learningRate: 0.01 }],
  ];
  for (const [name, config] of all) {
    it(`${name}: no tensor leak over 50 steps; disposeOptimState frees its buffers`, () => {
      const method = optim[name as 'sgd'];
      const ps = makeParams();
      const q = quadratic();
      // Also with gradients held in variables (a model's buffers): never freed by the optimizer.
      const gbufs = ps.map((p) => tf.variable(tf.zerosLike(p), false));
      const fromBuffers: FEval = (xs) => {
        tf.tidy(() => xs.forEach((p, i) => gbufs[i].assign(p.mul(2))));
        return [0, gbufs];
      };
      const start = tf.memory().numTensors;
      const cfg = { ...config };
      method(q.feval, ps, cfg);
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 50; i++) method(i % 2 ? q.feval : fromBuffers, ps, cfg);
      expect(tf.memory().numTensors).toBe(after1);
      expect(gbufs.every((g) => !g.isDisposed)).toBe(true);
      disposeOptimState(cfg);
      expect(tf.memory().numTensors).toBe(start);
      expect(cfg.evalCounter).toBeUndefined();
      expect(cfg.learningRate).toBe(config.learningRate);
      q.dispose();
      [...ps, ...gbufs].forEach((p) => p.dispose());
    });
  }
});
