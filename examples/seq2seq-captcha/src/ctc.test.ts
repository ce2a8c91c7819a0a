import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fusedBackward, manualSeed, Optimizer, setBackend, tf, type Tensor } from '@captcha-nn/core';
import { batches, generatorSource } from '@captcha-nn/data';
import { evaluateRun, loadCaptchaModel, makeGenerator, train, type GenerateDataSpec, type ModelOptions } from '@captcha-nn/train';
import { TINY_DATA, writeTinyPngs } from '@captcha-nn/train/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCtcCaptcha } from './ctc';
import { tempDir, tinyTextData } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);
beforeAll(async () => {
  await setBackend('wasm');
});

// The variable preset's shape: 200×50, 23 characters + the blank.
const base: ModelOptions = { variant: 'compact', numClasses: 24, length: 8, height: 50, width: 200, channels: 1 };

/** The first `n` captchas of a generator spec, as one batch (x, y; the caller disposes). */
async function batchOf(
  spec: Omit<GenerateDataSpec, 'kind' | 'trainSize' | 'valSize'>,
  n: number,
  seed: string,
): Promise<{ x: Tensor; y: Tensor; labels: string[] }> {
  for await (const b of batches(generatorSource(makeGenerator(spec, seed), { count: n, format: 'gray' }), { batchSize: n, shuffle: false })) {
    b.lengths.dispose();
    return { x: b.x, y: b.y, labels: b.labels };
  }
  throw new Error('no batch');
}

describe('buildCtcCaptcha', () => {
  it('compact: [T, N, C] log-probabilities with T = width/4, a CTC task with the last class as blank', () => {
    const { model, task } = buildCtcCaptcha(base);
    expect(task.spec).toEqual({ name: 'ctc', blank: 23, steps: 50 });
    expect(task.criterion.typeName).toBe('CTCCriterion');
    const out = tf.tidy(() => {
      const o = model.forward(tf.randomUniform([3, 50, 200, 1])) as Tensor;
      return [o.shape, Array.from(tf.sum(tf.exp(o), -1).dataSync())] as const;
    });
    expect(out[0]).toEqual([50, 3, 24]);
    for (const s of out[1]) expect(s).toBeCloseTo(1, 4);
    const s = model.toString();
    for (const part of [
      'nn.SpatialMaxPooling(1x2, 1,2)',
      'nn.Transpose',
      'nn.View(50, -1, 256)',
      'nn.BiSequencer',
      'nn.FastLSTM(256 -> 128)',
      'nn.Linear(256 -> 24)',
    ])
      expect(s).toContain(part);
  });

  it('seed: the VGG trunk, 2×256 LSTM units, other sizes follow the options', () => {
    const { model, task } = buildCtcCaptcha({ ...base, variant: 'seed', width: 160, numClasses: 11 });
    expect(task.spec).toEqual({ name: 'ctc', blank: 10, steps: 40 });
    const s = model.toString();
    expect(s.match(/nn\.SpatialConvolution/g)).toHaveLength(13);
    expect(s).toContain('nn.FastLSTM(1024 -> 256)');
    const shape = tf.tidy(() => (model.forward(tf.randomUniform([1, 50, 160, 1])) as Tensor).shape);
    expect(shape).toEqual([40, 1, 11]);
  });

  it('wide: the wider trunk, 2×128 LSTM units', () => {
    const { model, task } = buildCtcCaptcha({ ...base, variant: 'wide', width: 160, numClasses: 11 });
    expect(task.spec).toEqual({ name: 'ctc', blank: 10, steps: 40 });
    const s = model.toString();
    expect(s.match(/nn\.SpatialConvolution/g)).toHaveLength(6);
    // 50 high pooled 4 times (ceil): 4 rows of 192 features per column.
    expect(s).toContain('nn.FastLSTM(768 -> 128)');
    const shape = tf.tidy(() => (model.forward(tf.randomUniform([1, 50, 160, 1])) as Tensor).shape);
    expect(shape).toEqual([40, 1, 11]);
  });

  it('rejects bad options', () => {
    expect(() => buildCtcCaptcha({ ...base, numClasses: 0 })).toThrow(/buildCtcCaptcha: numClasses/);
    expect(() => buildCtcCaptcha({ ...base, variant: 'big' as 'seed' })).toThrow(/variant/);
  });

  it('the classic loop (forward, backward) gives the same loss and gradients as the fused step', async () => {
    manualSeed(7);
    const b = await batchOf({ generator: 'simple', preset: 'variable', length: [4, 8] }, 4, 'grad');
    const { model, task } = buildCtcCaptcha(base);
    const target = task.target(b.y);
    expect((target as number[][]).map((l) => l.length)).toEqual(b.labels.map((l) => l.length));
    const [, grads] = model.parameters();
    // Training mode: BN normalises with the batch statistics in both passes.
    model.training();
    model.zeroGradParameters();
    const out = model.forward(b.x);
    const l1 = task.criterion.forward(out, target);
    model.backward(b.x, task.criterion.backward(out, target));
    const g1 = grads.map((g) => g.clone());
    model.zeroGradParameters();
    const l2 = fusedBackward(model, task.criterion, b.x, target);
    expect(Number.isFinite(l1)).toBe(true);
    expect(l2).toBeCloseTo(l1, 3);
    grads.forEach((g, i) => {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(g, g1[i]!))).dataSync()[0]!);
      const scale = tf.tidy(() => tf.max(tf.abs(g1[i]!)).dataSync()[0]!);
      expect(diff).toBeLessThanOrEqual(1e-3 * Math.max(1, scale));
    });
    tf.dispose([b.x, b.y, ...g1]);
  });

  it('keeps the tensor count flat over 200 training steps with greedy and beam-search decoding', async () => {
    manualSeed(3);
    // The smallest input the compact trunk takes: 16×16, T = 4.
    const spec = { generator: 'simple' as const, length: [1, 2] as const, size: { width: 16, height: 16 }, charset: 'ab' };
    const b = await batchOf(spec, 2, 'leak');
    const { model, task } = buildCtcCaptcha({ ...base, numClasses: 3, length: 2, width: 16, height: 16 });
    const optimizer = new Optimizer(model, 'adam', { learningRate: 0.003 });
    const target = task.target(b.y);
    model.training();
    let counted = 0;
    // As the trainer's one-worker step: forward, criterion, backward, optimizer, and the decode for its accuracy.
    for (let i = 0; i < 200; i++) {
      model.zeroGradParameters();
      const out = model.forward(b.x);
      const loss = task.criterion.forward(out, target);
      model.backward(b.x, task.criterion.backward(out, target));
      optimizer.step(loss);
      task.decode(out, i % 2 ? { beam: 4 } : undefined);
      if (i === 9) counted = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(counted);
    optimizer.dispose();
    tf.dispose([b.x, b.y]);
  }, 900_000);
});

describe('ctc through the training stack', () => {
  // 256 seeded captchas of 2 to 4 characters from 'ab12', 64×24 (T = 16), 10 epochs of 16 steps.
  const data = tinyTextData('seed', [2, 4]);

  it('learns to read variable-length captchas; the saved model reads the same; beam search is at least as accurate as greedy', async () => {
    const out = join(tmp.dir, 'learn');
    const losses: number[] = [];
    const r = await train(
      { model: 'ctc', variant: 'compact', data, epochs: 10, batchSize: 16, lr: 0.01, seed: '1', workers: 1, out },
      { onEpochEnd: (rec) => losses.push(rec.trainLoss) },
    );
    expect(r.status).toBe('completed');
    // Seen on this machine: loss 2.24 → 0.12, validation 72% whole captchas, CER 0.14.
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.4);
    const best = r.best!;
    expect(best.captchaAccuracy).toBeGreaterThan(0.35);

    // The saved best model, on the very validation images (seed '1:val'), reads as in training (greedily).
    const m = await loadCaptchaModel(out);
    expect(m.metadata.task).toEqual({ name: 'ctc', blank: 4, steps: 16, readLength: { min: 2, max: 4 } });
    const generate = { generator: 'simple' as const, preset: 'seed', length: [2, 4] as const, count: 64, seed: '1:val' };
    const greedy = await evaluateRun({ model: out, generate, decode: { length: 'any' } }, m);
    expect(greedy.reading).toBe('greedy, any length');
    expect(greedy.captchaAccuracy).toBe(best.captchaAccuracy);
    expect(greedy.byLength.map((l) => l.length)).toEqual([2, 3, 4]);
    expect(greedy.cer).toBeLessThan(0.35);
    const beam = await evaluateRun({ model: out, generate, decode: { beam: 8, length: 'any' } }, m);
    expect(beam.captchaAccuracy).toBeGreaterThanOrEqual(greedy.captchaAccuracy);
    // By default it reads the 2 to 4 characters it trained on.
    const asTrained = await evaluateRun({ model: out, generate }, m);
    expect(asTrained.reading).toMatch(/^beam search of 10, 2 to 4 characters, the lengths of its training labels/);
    m.model.dispose();

    // Fine-tuning on shorter labels keeps the output layer: a CTC reader's classes mean the same at any length.
    const logs: string[] = [];
    const ft = await train(
      { init: out, data: { ...data, length: [2, 3] }, epochs: 1, batchSize: 16, seed: '2', workers: 1, out: join(tmp.dir, 'finetune') },
      { log: (msg) => logs.push(msg) },
    );
    expect(ft.status).toBe('completed');
    expect(logs.join('\n')).toMatch(/--init .*: copied (\d+) of \1 state tensors/);
    // 10 epochs of 16 steps: 93 s on a quieter day; epochs of 120 to 250 s at nice 15 beside the main job (load 20).
  }, 1_800_000);

  it('refuses, before training, labels too long for the time steps: generated, and in a folder (naming the file)', async () => {
    // 16 wide: T = 4; up to 3 characters may need 5 steps ("aaa").
    await expect(
      train({ model: 'ctc', data: { ...TINY_DATA, length: 3, size: { width: 16, height: 16 } }, epochs: 1, out: join(tmp.dir, 'short-gen') }),
    ).rejects.toThrow(
      /generated captchas of up to 3 characters.*label "aaa" needs 5 CTC time steps \(3 characters \+ 2 repeated pairs\), but the model has T = 4/,
    );
    const dir = join(tmp.dir, 'long-label');
    await writeTinyPngs(dir, 4, 'long');
    // 48 wide: T = 12; "abab1b1b1b1b1" has 13 characters.
    copyFileSync(join(dir, readdirSync(dir)[0]!), join(dir, '9_abab1b1b1b1b1.png'));
    await expect(train({ model: 'ctc', data: { kind: 'folder', dir, channels: 'gray' }, epochs: 1, out: join(tmp.dir, 'long-run') })).rejects.toThrow(
      /9_abab1b1b1b1b1\.png: label "abab1b1b1b1b1" needs 13 CTC time steps \(13 characters\), but the model has T = 12/,
    );
  });

  it('refuses a label with a character outside the charset, and an empty folder, naming them', async () => {
    const dir = join(tmp.dir, 'charset');
    await writeTinyPngs(dir, 4, 'charset');
    copyFileSync(join(dir, readdirSync(dir)[0]!), join(dir, '9_aX.png'));
    await expect(
      train({ model: 'ctc', data: { kind: 'folder', dir, charset: 'ab12', channels: 'gray' }, epochs: 1, out: join(tmp.dir, 'cs-run') }),
    ).rejects.toThrow(/charset: 1 character of the labels not in the charset "ab12": 'X' in 1 label \(9_aX\.png\)/);
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    await expect(train({ model: 'ctc', data: { kind: 'folder', dir: empty }, epochs: 1, out: join(tmp.dir, 'empty-run') })).rejects.toThrow(
      /no images \(.*\) in .*empty/,
    );
  });
});
