import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend, tf, fusedBackward, manualSeed, type Tensor } from '@captcha-nn/core';
import type { ModelOptions } from '@captcha-nn/train';
import { fitBatch, sampleBatch } from '@captcha-nn/train/testing';
import { buildCrnnCaptcha } from './index';

const base: ModelOptions = { variant: 'compact', numClasses: 24, length: 5, height: 50, width: 200, channels: 1 };

beforeAll(async () => {
  await setBackend('wasm');
});

/** Checks a table of `length` [N,C] log-probability tensors. */
function expectLogProbTable(out: unknown, length: number, n: number, c: number): void {
  expect(Array.isArray(out)).toBe(true);
  const steps = out as Tensor[];
  expect(steps).toHaveLength(length);
  for (const s of steps) {
    expect(s.shape).toEqual([n, c]);
    const sums = tf.tidy(() => tf.sum(tf.exp(s), 1).dataSync());
    for (const v of sums) expect(v).toBeCloseTo(1, 4);
  }
}

describe('buildCrnnCaptcha', () => {
  it('compact: a table of `length` [N,numClasses] log-probabilities, a table target', () => {
    const { model, task } = buildCrnnCaptcha(base);
    expect(task.spec).toEqual({ name: 'text', format: 'table' });
    expect(task.criterion.typeName).toBe('SequencerCriterion');
    const x = tf.randomUniform([3, 50, 200, 1]);
    const out = model.forward(x);
    expectLogProbTable(out, 5, 3, 24);
    const y = tf.zeros([3, 5], 'int32') as Tensor;
    const loss = task.criterion.forward(out, task.target(y));
    expect(Number.isFinite(loss)).toBe(true);
    const d = task.decode(out);
    expect(d).toHaveLength(3);
    for (const r of d) expect(r.ids.length === r.probs.length && r.ids.length <= 5).toBe(true);
  });

  it('compact follows the options: other sizes, lengths, classes and channels', () => {
    const { model } = buildCrnnCaptcha({ ...base, numClasses: 11, length: 7, height: 32, width: 128, channels: 3 });
    expectLogProbTable(model.forward(tf.randomUniform([2, 32, 128, 3])), 7, 2, 11);
  });

  it('seed: VGG trunk, SplitTable, Sequencer(Recurrent), output shapes only', () => {
    const { model } = buildCrnnCaptcha({ ...base, variant: 'seed' });
    const s = model.toString();
    expect(s.match(/nn\.SpatialConvolution/g)).toHaveLength(13);
    expect(s).toContain('nn.Linear(7168 -> 2560)');
    expect(s).toContain('nn.SplitTable');
    expect(s).toContain('nn.Sequencer @ nn.Recurrent');
    expect(s).toContain('nn.Linear(512 -> 256)');
    expectLogProbTable(model.forward(tf.randomUniform([2, 50, 200, 1])), 5, 2, 24);
  });

  it("wide: compact's head on the wider trunk, 4,521,188 parameters at Gregwar's size", () => {
    // Gregwar/Captcha: 150×40 in gray, five characters, 36 classes once case is folded (35 and the blank).
    const { model } = buildCrnnCaptcha({ ...base, variant: 'wide', numClasses: 36, height: 40, width: 150, channels: 1 });
    const s = model.toString();
    expect(s).toContain('nn.SpatialConvolution(192 -> 192, 3x3, 1,1, 1,1)');
    expect(s).toContain('nn.Linear(5760 -> 640)');
    // The network of docs/results.md's probe ("A wider trunk, same recipe and time").
    expect(model.parameters()[0].reduce((n, p) => n + p.size, 0)).toBe(4_521_188);
    expectLogProbTable(model.forward(tf.randomUniform([2, 40, 150, 1])), 5, 2, 36);
  });

  it('toString prints the tree', () => {
    const s = buildCrnnCaptcha(base).model.toString();
    expect(s.startsWith('nn.Sequential {')).toBe(true);
    for (const part of ['nn.SpatialConvolution(1 -> 8, 3x3, 1,1, 1,1)', 'nn.Linear(1792 -> 640)', 'nn.View(-1, 5, 128)', 'nn.Recurrent', 'nn.LogSoftMax'])
      expect(s).toContain(part);
  });

  it('rejects bad options', () => {
    expect(() => buildCrnnCaptcha({ ...base, numClasses: 1.5 })).toThrow(/numClasses/);
    expect(() => buildCrnnCaptcha({ ...base, variant: 'tiny' as 'seed' })).toThrow(/variant/);
  });

  it('thirty training steps on a handful of captchas make the loss fall', async () => {
    manualSeed(5);
    const b = await sampleBatch(8, 'unit-test');
    const losses = fitBatch(buildCrnnCaptcha(base), b, 30);
    // SequencerCriterion sums 5 steps of mean NLL: about 5·ln 24 at the start.
    expect(losses[0]).toBeGreaterThan(12);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.3);
    b.dispose();
  });

  it('the classic loop (forward, backward) runs through the Sequencer and gives the same gradients as the fused step', async () => {
    manualSeed(7);
    const b = await sampleBatch(4, 'grad-test');
    const { model, task } = buildCrnnCaptcha(base);
    const criterion = task.criterion;
    const target = task.target(b.y);
    const [, grads] = model.parameters();
    // Training mode: BN normalises with the batch statistics, so both passes compute the same function.
    model.zeroGradParameters();
    const out = model.forward(b.x);
    const l1 = criterion.forward(out, target);
    model.backward(b.x, criterion.backward(out, target));
    const g1 = grads.map((g) => g.clone());
    model.zeroGradParameters();
    const l2 = fusedBackward(model, criterion, b.x, target);
    expect(l2).toBeCloseTo(l1, 3);
    grads.forEach((g, i) => {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(g, g1[i]!))).dataSync()[0]!);
      const scale = tf.tidy(() => tf.max(tf.abs(g1[i]!)).dataSync()[0]!);
      expect(diff).toBeLessThanOrEqual(1e-3 * Math.max(1, scale));
    });
    b.dispose();
  });
});
