import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import {
  ConcatTable,
  foldBatchNorm,
  loadSafetensors,
  moduleFromSpec,
  setBackend,
  tf,
  type Module,
  type Sequential,
  type SpatialBatchNormalization,
  type Tensor,
} from '@captcha-nn/core';
import type { ModelOptions } from '@captcha-nn/train';
import { MNIST_INPUT, buildResnet, plainUnit, residualUnit, resnetSettings, trunk } from './index';

beforeAll(async () => {
  await setBackend('wasm');
});

// Residual 16, residual 34, plain 34 (the plain net has no projections: 2 × (1×1 conv + BN) fewer).
const PINNED = [190859, 483179, 480331];

const count = (m: Module) => m.parameters()[0].reduce((n, p) => n + p.size, 0);

/** Parameters by hand: conv k×k (weights and bias), BN (weight and bias), Linear. */
function expectedParameters(depth: number, residual: boolean, head: 'maxpool' | 'gap'): number {
  const conv = (k: number, i: number, o: number) => k * k * i * o + o;
  const bn = (c: number) => 2 * c;
  const unit = (i: number, o: number) => conv(3, i, o) + bn(o) + conv(3, o, o) + bn(o) + (residual && i !== o ? conv(1, i, o) + bn(o) : 0);
  const n = (depth - 10) / 6;
  let total = conv(3, 1, 16) + bn(16) + 2 * (conv(3, 16, 16) + bn(16));
  let c = 16;
  for (const w of [16, 32, 64]) {
    total += unit(c, w) + n * unit(w, w);
    c = w;
  }
  // 28 → 14 → 7 in the stages; max pooling (ceil) → 4×4.
  const features = head === 'maxpool' ? 64 * 4 * 4 : 64;
  return total + features * 11 + 11;
}

describe('units', () => {
  it('a downsampling residual unit prints as Torch prints it: ConcatTable(branch, 1×1 stride-2 projection) → CAddTable → ReLU', () => {
    expect(residualUnit(16, 32, 2).toString()).toBe(
      [
        'nn.Sequential {',
        '  [input -> (1) -> (2) -> (3) -> output]',
        '  (1): nn.ConcatTable {',
        '    input',
        '      |`-> (1): nn.Sequential {',
        '      |      [input -> (1) -> (2) -> (3) -> (4) -> (5) -> output]',
        '      |      (1): nn.SpatialConvolution(16 -> 32, 3x3, 2,2, 1,1)',
        '      |      (2): nn.SpatialBatchNormalization (4D) (32)',
        '      |      (3): nn.ReLU',
        '      |      (4): nn.SpatialConvolution(32 -> 32, 3x3, 1,1, 1,1)',
        '      |      (5): nn.SpatialBatchNormalization (4D) (32)',
        '      |    }',
        '       `-> (2): nn.Sequential {',
        '             [input -> (1) -> (2) -> output]',
        '             (1): nn.SpatialConvolution(16 -> 32, 1x1, 2,2)',
        '             (2): nn.SpatialBatchNormalization (4D) (32)',
        '           }',
        '       ... -> output',
        '  }',
        '  (2): nn.CAddTable',
        '  (3): nn.ReLU',
        '}',
      ].join('\n'),
    );
  });

  it('an identity-shortcut unit adds its input; a plain unit is the same layers without the shortcut', () => {
    const r = residualUnit(4, 4);
    expect(r.toString()).toContain('`-> (2): nn.Identity');
    const p = plainUnit(4, 4);
    expect(p.toString()).not.toContain('ConcatTable');
    // The same weights in both: the branch is ConcatTable's first child (keys 0.0.*) and the plain unit's first five modules.
    const sd = r.stateDict();
    p.loadStateDict(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k.replace(/^0\.0\./, ''), v])), { strict: true });
    for (const t of Object.values(sd)) t.dispose();
    const x = tf.randomNormal([2, 5, 6, 4]);
    const [residualError, plainError] = tf.tidy(() => {
      let branch: Tensor = x;
      for (const m of p.modules.slice(0, -1)) branch = m.forward(branch) as Tensor;
      // A module frees its last output when it runs again: keep a copy.
      branch = tf.clone(branch);
      const maxDiff = (a: Tensor, b: Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
      return [maxDiff(r.forward(x) as Tensor, tf.relu(tf.add(branch, x))), maxDiff(p.forward(x) as Tensor, tf.relu(branch))];
    });
    expect(residualError).toBeLessThan(1e-5);
    expect(plainError).toBeLessThan(1e-5);
    x.dispose();
    r.dispose();
    p.dispose();
  });
});

describe('zeroResidual', () => {
  it('a unit starts as its shortcut: ReLU(x) through an identity, ReLU(projection) where it downsamples; training moves the weight off 0', () => {
    const maxDiff = (a: Tensor, b: Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    const x = tf.randomNormal([2, 6, 6, 4]);
    const same = residualUnit(4, 4, 1, true);
    expect(maxDiff(same.forward(x) as Tensor, tf.relu(x))).toBe(0);
    // Without it the branch adds something (Torch's batch-norm weights are uniform(0, 1)).
    const usual = residualUnit(4, 4, 1);
    expect(maxDiff(usual.forward(x) as Tensor, tf.relu(x))).toBeGreaterThan(0.1);
    const down = residualUnit(4, 8, 2, true);
    const projection = (down.get(0) as ConcatTable).get(1) as Sequential;
    const y = down.forward(x) as Tensor;
    expect(y.shape).toEqual([2, 3, 3, 8]);
    expect(maxDiff(y, tf.relu(projection.forward(x) as Tensor))).toBeLessThan(1e-6);
    // Only the branch's last batch norm starts at 0; its first and the projection's keep Torch's init.
    const branch = (down.get(0) as ConcatTable).get(0) as Sequential;
    const weight = (m: Module) => Array.from((m as SpatialBatchNormalization).weight!.dataSync());
    expect(weight(branch.get(4))).toEqual(new Array(8).fill(0));
    expect(weight(branch.get(1)).some((w) => w > 0)).toBe(true);
    expect(weight(projection.get(1)).some((w) => w > 0)).toBe(true);
    // The weight's gradient is not 0, so the branch learns.
    same.zeroGradParameters();
    same.backward(x, tf.onesLike(same.output as Tensor));
    const grad = ((same.get(0) as ConcatTable).get(0) as Sequential).get(4) as SpatialBatchNormalization;
    expect(tf.tidy(() => tf.max(tf.abs(grad.gradWeight!)).dataSync()[0]!)).toBeGreaterThan(0);
    for (const m of [same, usual, down]) m.dispose();
    x.dispose();
  });

  it('reaches every residual unit of the built net, and is refused for a plain net', () => {
    const { model } = buildResnet({ ...MNIST_INPUT, settings: { depth: 16, zeroResidual: true } });
    const units = (model.toString().match(/nn\.CAddTable/g) ?? []).length;
    // Every unit's branch ends in a batch norm of weight 0, and no other weight is 0: 3 stages × (1 + N) units, N = 1 at depth 16.
    const zeroed = model.namedParameters().filter(({ param }) => param.value.dataSync().every((w) => w === 0) && param.name === 'weight');
    expect(zeroed.map(({ key }) => key)).toEqual(zeroed.map(({ key }) => key).filter((k) => /\.0\.0\.4\.weight$/.test(k)));
    expect(zeroed).toHaveLength(units);
    expect(zeroed).toHaveLength(6);
    model.dispose();
    expect(() => resnetSettings({ residual: false, zeroResidual: true })).toThrow(/needs residual units/);
    expect(() => resnetSettings({ zeroResidual: 1 })).toThrow(/zeroResidual must be true or false/);
  });
});

describe('stochasticDepth', () => {
  it("makes every residual unit a ResidualDrop whose death rate rises linearly to the setting, Huang et al.'s decay", () => {
    const { model } = buildResnet({ ...MNIST_INPUT, settings: { depth: 16, stochasticDepth: 0.5 } });
    // 3 stages × (1 + N) units, N = 1 at depth 16: rates l/6 · 0.5 for l = 1..6.
    const rates = [...model.toString().matchAll(/nn\.ResidualDrop\(([0-9.]+)\)/g)].map((m) => Number(m[1]));
    expect(rates).toHaveLength(6);
    rates.forEach((r, i) => expect(r).toBeCloseTo(((i + 1) / 6) * 0.5, 12));
    expect(model.toString()).not.toContain('nn.CAddTable');
    // The state dict has the same keys as the net without it, so weights move between the two.
    const { model: usual } = buildResnet({ ...MNIST_INPUT, settings: { depth: 16 } });
    expect([...model.stateShapes().entries()]).toEqual([...usual.stateShapes().entries()]);
    // The spec rebuilds it, as a checkpoint or a data-parallel worker does.
    expect(moduleFromSpec(JSON.parse(JSON.stringify(model.toSpec()))).toString()).toBe(model.toString());
    // Inference folds the batch norms inside its branches, and reads the same as evaluate mode.
    const x = tf.randomNormal([3, 28, 28, 1]);
    const folded = foldBatchNorm(model);
    const [want, got] = [model.evaluate().forward(x) as Tensor, folded.forward(x) as Tensor];
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(want, got))).dataSync()[0]!)).toBeLessThan(1e-4);
    expect(folded.toString()).toContain('nn.ResidualDrop(0.5)');
    for (const m of [model, usual, folded]) m.dispose();
    x.dispose();
    expect(() => resnetSettings({ residual: false, stochasticDepth: 0.5 })).toThrow(/stochasticDepth needs residual units/);
    expect(() => resnetSettings({ stochasticDepth: 1 })).toThrow(/death rate in \[0, 1\), got 1/);
  });
});

describe('buildResnet', () => {
  const build = (settings: ModelOptions['settings']) => buildResnet({ ...MNIST_INPUT, settings });

  it.each([
    [16, true],
    [16, false],
    [34, true],
    [34, false],
  ] as const)(
    'depth %i (residual: %s): 6N+10 weight layers on the longest path, the parameters counted by hand, [N, 11] log-probabilities',
    (depth, residual) => {
      const { model, task } = build({ depth, residual });
      const s = model.toString();
      // Weight layers on the longest path: the 3×3 convolutions and the Linear layer (projections are 1×1 side paths).
      expect((s.match(/nn\.SpatialConvolution\(\d+ -> \d+, 3x3/g) ?? []).length + (s.match(/nn\.Linear/g) ?? []).length).toBe(depth);
      expect((s.match(/nn\.SpatialConvolution\(\d+ -> \d+, 1x1, 2,2\)/g) ?? []).length).toBe(residual ? 2 : 0);
      expect((s.match(/nn\.CAddTable/g) ?? []).length).toBe(residual ? (depth - 10) / 2 + 3 : 0);
      // Torch prints no ceil mode; the Linear layer's 4×4×64 inputs show it.
      expect(s).toContain('nn.SpatialMaxPooling(2x2, 2,2)');
      expect(s).toContain('nn.Linear(1024 -> 11)');
      expect(count(model)).toBe(expectedParameters(depth, residual, 'maxpool'));
      expect(task.spec).toEqual({ name: 'classification' });
      expect(task.criterion.typeName).toBe('ClassNLLCriterion');
      model.evaluate();
      const [shape, total] = tf.tidy(() => {
        const out = model.forward(tf.randomUniform([2, 28, 28, 1])) as Tensor;
        return [out.shape, tf.sum(tf.exp(out), 1).dataSync()];
      });
      expect(shape).toEqual([2, 11]);
      for (const t of total) expect(t).toBeCloseTo(1, 4);
      model.dispose();
    },
  );

  it("the pinned parameter counts of the issue's 16- and 34-layer nets (maxpool head)", () => {
    for (const [depth, residual, n] of [
      [16, true, expectedParameters(16, true, 'maxpool')],
      [34, true, expectedParameters(34, true, 'maxpool')],
      [34, false, expectedParameters(34, false, 'maxpool')],
    ] as const) {
      const { model } = build({ depth, residual });
      expect(count(model), `depth ${depth} residual ${residual}`).toBe(n);
      model.dispose();
    }
    expect([expectedParameters(16, true, 'maxpool'), expectedParameters(34, true, 'maxpool'), expectedParameters(34, false, 'maxpool')]).toEqual(PINNED);
  });

  it('the trunk leaves 7×7×64 of a 28×28 image; global average pooling gives 64 features', () => {
    const t = trunk(resnetSettings({ depth: 16 }), 1);
    const shape = tf.tidy(() => (t.forward(tf.zeros([1, 28, 28, 1])) as Tensor).shape);
    expect(shape).toEqual([1, 7, 7, 64]);
    const { model } = build({ depth: 16, head: 'gap' });
    expect(model.toString()).toContain('nn.SpatialAveragePooling(7x7, 1,1)');
    expect(model.toString()).toContain('nn.Linear(64 -> 11)');
    expect(count(model)).toBe(expectedParameters(16, true, 'gap'));
    t.dispose();
    model.dispose();
  });

  it('captcha labels (several characters) get a text head, so the model trains on any registered data', () => {
    const { model, task } = buildResnet({ ...MNIST_INPUT, length: 2, numClasses: 5, height: 16, width: 48, settings: { depth: 10 } });
    expect(task.spec).toEqual({ name: 'text', format: 'tensor' });
    // 16×48 → 4×12 after the stages → 2×6 pooled.
    expect(model.toString()).toContain('nn.Linear(768 -> 10)');
    const shape = tf.tidy(() => (model.forward(tf.zeros([3, 16, 48, 1])) as Tensor).shape);
    expect(shape).toEqual([3, 2, 5]);
    model.dispose();
  });

  it('checks its settings', () => {
    expect(resnetSettings()).toEqual({ depth: 34, residual: true, head: 'maxpool', width: 16, zeroResidual: false, stochasticDepth: 0 });
    expect(() => resnetSettings({ width: 0 })).toThrow(/width must be a positive integer/);
    expect(() => resnetSettings({ depth: 33 })).toThrow(/6N\+10/);
    expect(() => resnetSettings({ depth: 4 })).toThrow(/6N\+10/);
    expect(() => resnetSettings({ head: 'avg' })).toThrow(/maxpool or gap/);
    expect(() => resnetSettings({ residual: 'yes' })).toThrow(/true or false/);
    expect(() => resnetSettings({ widths: 3 })).toThrow(/unknown model option\(s\) widths/);
  });
});

describe('the PyTorch parity fixture', () => {
  // packages/core/test/fixtures/parity/model_resnet16_train checks this net (depth 16, width 2) against PyTorch:
  // forward, gradients and one SGD step. Its spec must be the net buildResnet builds.
  it('model_resnet16_train is buildResnet({ depth: 16, width: 2 }) on 11×9 images, 6 classes', async () => {
    const path = fileURLToPath(new URL('../../../packages/core/test/fixtures/parity/model_resnet16_train.safetensors', import.meta.url));
    const { tensors, metadata } = await loadSafetensors(path);
    for (const t of Object.values(tensors)) (t as Tensor).dispose();
    const fromFixture = moduleFromSpec(JSON.parse((metadata as Record<string, string>).spec!));
    const { model } = buildResnet({ ...MNIST_INPUT, numClasses: 6, height: 11, width: 9, settings: { depth: 16, width: 2 } });
    expect(model.toString()).toBe(fromFixture.toString());
    expect(JSON.parse((metadata as Record<string, string>).criterion!)).toEqual({ type: 'ClassNLLCriterion' });
    model.dispose();
    fromFixture.dispose();
  });
});
