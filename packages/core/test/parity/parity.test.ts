/**
 * PyTorch parity: every fixture in CAPTCHA_NN_PARITY_DIR (or the checked-in
 * test/fixtures/parity, made by `scripts/parity/make_fixtures.py --seed 1`)
 * is rebuilt with our modules, loaded with PyTorch's state dict, and run
 * forward and backward; outputs, gradInputs, parameter gradients and the
 * buffers after forward must match to |a − b| ≤ 1e-4·max(1, |b|).
 * One `it` per fixture, named after the case.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../../src/tf';
import type { Module } from '../../src/nn/Module';
import type { Target } from '../../src/nn/Criterion';
import { criterionFromSpec, lookup, moduleFromSpec, optimMethod, type Spec } from './build';
import { activity, Checker, FIXTURE_DIR, listFixtures, loadFixture, toleranceScale, under } from './fixtures';

const fixtures = listFixtures();

interface OptimizerLike {
  step(loss: number): number;
  dispose(): void;
}

function disposeAll(...dicts: Record<string, Tensor>[]): void {
  for (const d of dicts) for (const t of Object.values(d)) if (!t.isDisposed) t.dispose();
}

/** A fresh model from the fixture's spec and state, in the fixture's mode. */
async function modelFor(spec: Spec, T: Record<string, Tensor>): Promise<Module> {
  const model = moduleFromSpec(spec);
  model.loadStateDict(under(T, 'state'), { strict: true });
  if (spec.train === false) model.evaluate();
  else model.training();
  model.zeroGradParameters();
  return model;
}

/** Our buffers (the state-dict entries that PyTorch saved as state_after.*). */
function buffersNow(model: Module, keys: string[]): Record<string, Tensor> {
  const all = model.stateDict();
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(all))
    if (keys.includes(k)) out[k] = v;
    else v.dispose();
  return out;
}

describe(`PyTorch parity (${FIXTURE_DIR})`, () => {
  afterAll(() => {
    if (process.env.CAPTCHA_NN_PARITY_VERBOSE)
      console.log(
        `parity: closest pass ${Checker.worst.where}: ${Checker.worst.ratio.toFixed(3)}× the tolerance, |error| ${Checker.worst.abs.toExponential(2)}`,
      );
  });

  it('finds fixtures', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  for (const fx of fixtures.filter((f) => f.kind === 'module')) {
    it(fx.name, async () => {
      const { T, meta } = loadFixture(fx.path);
      const spec = JSON.parse(meta.spec) as Spec;
      const model = await modelFor(spec, T);
      const check = new Checker(toleranceScale(meta));
      try {
        const input = activity(T, 'input');
        const gradOutput = activity(T, 'grad_output');
        const after = under(T, 'state_after');

        check.activity('output', model.forward(input), activity(T, 'output'));
        const buf1 = buffersNow(model, Object.keys(after));
        check.dict('buffers after forward', buf1, after);
        disposeAll(buf1);

        check.activity('gradInput', model.backward(input, gradOutput), activity(T, 'grad_input'));
        const grads = model.gradStateDict();
        check.dict('gradStateDict', grads, under(T, 'grad'));
        disposeAll(grads);

        // backward re-runs compute: it must not move the running statistics again
        const buf2 = buffersNow(model, Object.keys(after));
        check.dict('buffers after backward', buf2, after);
        disposeAll(buf2);
      } finally {
        model.dispose();
        disposeAll(T);
      }
      if (process.env.CAPTCHA_NN_PARITY_VERBOSE)
        console.log(`parity: ${fx.name}: ours ${check.worstRatio.toFixed(3)}× RTOL, PyTorch in float32 ${meta.float32_ratio}× RTOL`);
      check.done(fx.name);
    });

    // Whole models also carry a criterion: the fused step must give PyTorch's parameter gradients.
    if (/^model_/.test(fx.name))
      it(`${fx.name} (fused step)`, async () => {
        const { T, meta } = loadFixture(fx.path);
        const spec = JSON.parse(meta.spec) as Spec;
        const critSpec = JSON.parse(meta.criterion) as Spec;
        const check = new Checker(toleranceScale(meta));
        const input = activity(T, 'input');
        const target = T.target as Target;
        const expected = under(T, 'fused_grad');
        const crit = criterionFromSpec(critSpec);

        // The classic Torch loop: forward, criterion, backward.
        const loop = await modelFor(spec, T);
        try {
          const y = loop.forward(input);
          check.number('loss (forward)', crit.forward(y, target), T.loss.dataSync()[0]);
          loop.backward(input, crit.backward(y, target));
          const g = loop.gradStateDict();
          check.dict('gradStateDict after forward/backward', g, expected);
          disposeAll(g);
        } finally {
          loop.dispose();
        }

        const fusedBackward = (await lookup('fusedBackward', 'fusedStep')) as (m: Module, c: unknown, x: unknown, t: unknown) => unknown;
        const fused = await modelFor(spec, T);
        try {
          const loss = fusedBackward(fused, crit, input, target);
          if (typeof loss === 'number') check.number('loss (fused)', loss, T.loss.dataSync()[0]);
          const g = fused.gradStateDict();
          check.dict('gradStateDict after fusedBackward', g, expected);
          disposeAll(g);
          // Cases with an optimizer step: one torch.optim.SGD step from those gradients gives this state.
          if (meta.sgd) {
            const Optimizer = (await lookup('Optimizer')) as new (m: Module, method: string, config: Record<string, number>) => OptimizerLike;
            const optimizer = new Optimizer(fused, 'sgd', JSON.parse(meta.sgd) as Record<string, number>);
            try {
              optimizer.step(typeof loss === 'number' ? loss : 0);
              const state = fused.stateDict();
              check.dict('state after one SGD step', state, under(T, 'sgd_after'));
              disposeAll(state);
            } finally {
              optimizer.dispose();
            }
          }
        } finally {
          fused.dispose();
          crit.dispose();
          disposeAll(T);
        }
        check.done(`${fx.name} (fused step)`);
      });
  }

  for (const fx of fixtures.filter((f) => f.kind === 'criterion')) {
    it(fx.name, async () => {
      const { T, meta } = loadFixture(fx.path);
      const crit = criterionFromSpec(JSON.parse(meta.spec) as Spec);
      const check = new Checker();
      try {
        check.number('loss', crit.forward(T.input, T.target), T.loss.dataSync()[0]);
        check.activity('gradInput', crit.backward(T.input, T.target), T.grad_input);
      } finally {
        crit.dispose();
        disposeAll(T);
      }
      check.done(fx.name);
    });
  }

  for (const fx of fixtures.filter((f) => f.kind === 'optim')) {
    it(fx.name, async () => {
      const { T, meta } = loadFixture(fx.path);
      const spec = JSON.parse(meta.spec) as Spec;
      const method = await optimMethod(spec.type);
      const n = Object.keys(under(T, 'param')).length;
      const steps = Number(meta.steps);
      const params: Variable[] = Array.from({ length: n }, (_, i) => tf.variable(T[`param.${i}`].clone()));
      const config = { ...(spec.config ?? {}) };
      const state = {};
      const check = new Checker();
      try {
        for (let s = 0; s < steps; s++) {
          // feval hands over fresh gradient tensors: the optimizer frees them.
          const feval = () => [0, params.map((_, i) => T[`grad.${s}.${i}`].clone())];
          method(feval, params, config, state);
        }
        params.forEach((p, i) => check.tensor(`param ${i} after ${steps} steps`, p, T[`param_after.${i}`]));
      } finally {
        params.forEach((p) => p.dispose());
        for (const v of Object.values(state)) if (Array.isArray(v)) for (const t of v) if (t instanceof tf.Tensor && !t.isDisposed) t.dispose();
        disposeAll(T);
      }
      check.done(fx.name);
    });
  }
});
