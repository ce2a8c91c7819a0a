import {
  BahdanauAttention,
  decodeModel,
  encodeModel,
  FastLSTM,
  fusedBackward,
  Linear,
  LogSoftMax,
  LookupTable,
  ModuleError,
  manualSeed,
  Optimizer,
  ReLU,
  SeqLSTM,
  Sequential,
  setBackend,
  SpatialBatchNormalization,
  SpatialConvolution,
  SpatialMaxPooling,
  ShapeError,
  tf,
  Transpose,
  View,
  type Tensor,
} from '@captcha-nn/core';
import type { ModelOptions } from '@captcha-nn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { EncoderDecoder, buildAttentionCaptcha, buildSeq2seqCaptcha } from './index';

beforeAll(async () => {
  await setBackend('wasm');
});

/** Largest absolute difference of two tensors (or lists of them). */
function maxDiff(a: Tensor | Tensor[], b: Tensor | Tensor[]): number {
  const as = Array.isArray(a) ? a : [a];
  const bs = Array.isArray(b) ? b : [b];
  expect(as.map((t) => t.shape)).toEqual(bs.map((t) => t.shape));
  return Math.max(0, ...as.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, bs[i]!))).dataSync()[0]!)));
}

// 3 characters (a blank/end = 3, GO = 4), images 8×16, labels up to 3 characters
const V = 4;
const L = 3;

/** A tiny encoder–decoder (BatchNorm in the trunk, so the classic backward's side effects show). */
function tinyModel(attention: boolean): EncoderDecoder {
  const trunk = new Sequential(
    new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1),
    new SpatialBatchNormalization(4),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2),
    new Transpose([1, 2]),
    new View(-1, 8, 16),
  );
  const H = 8;
  return new EncoderDecoder(
    L,
    trunk,
    new SeqLSTM(16, H, { batchFirst: true }),
    new LookupTable(V + 1, 4),
    new FastLSTM(4 + H, H),
    new Sequential(new Linear(2 * H, V), new LogSoftMax()),
    attention ? new BahdanauAttention(H, H, 6) : undefined,
  );
}

/** A batch of 4: images, GO-prefixed previous tokens and per-step targets (end = 3, −1 ignored). */
function tinyBatch(): { x: Tensor; prev: Tensor; target: Tensor } {
  return {
    x: tf.randomUniform([4, 8, 16, 1], 0, 1, 'float32', 3),
    prev: tf.tensor2d([4, 0, 1, 2, 4, 2, 3, 3, 4, 1, 1, 3, 4, 3, 3, 3], [4, 4], 'int32'),
    target: tf.tensor2d([0, 1, 2, 3, 2, 3, -1, -1, 1, 1, 3, -1, 3, -1, -1, -1], [4, 4], 'int32'),
  };
}

const CAPTCHA: ModelOptions = { variant: 'compact', numClasses: 24, length: 8, height: 50, width: 160, channels: 1 };

describe('the seq2seq and attention builders', () => {
  for (const [name, build, attention] of [
    ['seq2seq', buildSeq2seqCaptcha, false],
    ['attention', buildAttentionCaptcha, true],
  ] as const)
    it(`${name} (compact, 160×50, up to 8 characters): 20 feature columns, [N, 9, 24] teacher-forced log-probabilities, a decoded table at inference; saves and loads`, () => {
      manualSeed(1);
      const { model, task } = build(CAPTCHA);
      expect(task.spec).toEqual({ name: 'seq2seq', end: 23 });
      const s = model.toString();
      expect(s).toContain('nn.View(-1, 20, 256)');
      expect(s).toContain('nn.SeqLSTM(256 -> 128)');
      expect(s).toContain('nn.FastLSTM(160 -> 128)');
      expect(s).toContain('nn.Linear(256 -> 24)');
      expect(s.includes('nn.BahdanauAttention(query 128, keys 128, hidden 128)')).toBe(attention);
      const x = tf.randomUniform([2, 50, 160, 1], 0, 1, 'float32', 1);
      const prev = tf.fill([2, 9], 24, 'int32');
      model.evaluate();
      const tfOut = (model.forward([x, prev]) as Tensor).clone();
      expect(tfOut.shape).toEqual([2, 9, 24]);
      const inf = model.forward(x) as Tensor[];
      expect(inf.map((t) => t.shape)).toEqual([
        [2, 9, 24],
        [2, 9],
      ]);
      expect(inf[1]!.dtype).toBe('int32');
      const loaded = decodeModel(encodeModel(model)).model;
      expect(loaded).toBeInstanceOf(EncoderDecoder);
      expect(loaded.toString()).toBe(s);
      loaded.evaluate();
      expect(maxDiff(loaded.forward([x, prev]) as Tensor, tfOut)).toBe(0);
      tf.dispose([x, prev, tfOut]);
      loaded.dispose();
      model.dispose();
    });

  it('seed: the 2016 VGG trunk and 256-unit LSTMs', () => {
    const { model } = buildSeq2seqCaptcha({ ...CAPTCHA, variant: 'seed' });
    const s = model.toString();
    expect(s.match(/nn\.SpatialConvolution/g)).toHaveLength(13);
    expect(s).toContain('nn.View(-1, 20, 1024)');
    expect(s).toContain('nn.SeqLSTM(1024 -> 256)');
    model.dispose();
  });
});

describe('EncoderDecoder', () => {
  for (const attention of [false, true])
    it(`${attention ? 'with' : 'without'} attention: the classic backward gives the fused step's gradients, and updateGradInput + accGradParameters the same`, () => {
      manualSeed(2);
      const model = tinyModel(attention);
      const crit = buildSeq2seqCaptcha({ ...CAPTCHA, numClasses: V }).task.criterion;
      const { x, prev, target } = tinyBatch();
      const input = [x, prev];
      const grads = () => model.parameters()[1].map((g) => g.clone());
      model.training();
      model.zeroGradParameters();
      const out = model.forward(input);
      const loss = crit.forward(out, target);
      const gi = model.backward(input, crit.backward(out, target)) as Tensor[];
      expect(gi.map((g) => g.shape)).toEqual([x.shape, prev.shape]);
      const classic = grads();
      model.zeroGradParameters();
      expect(fusedBackward(model, crit, input, target)).toBeCloseTo(loss, 5);
      const fused = grads();
      expect(maxDiff(classic, fused)).toBeLessThan(1e-5);
      // the gradients are not all zero: the check compares something
      expect(
        maxDiff(
          fused,
          fused.map((g) => tf.zerosLike(g)),
        ),
      ).toBeGreaterThan(1e-3);
      model.zeroGradParameters();
      const g = crit.backward(model.forward(input), target);
      model.updateGradInput(input, g);
      model.accGradParameters(input, g);
      const split = grads();
      expect(maxDiff(split, fused)).toBeLessThan(1e-5);
      tf.dispose([x, prev, target, ...classic, ...fused, ...split]);
      model.dispose();
    });

  it('free-running decoding is the teacher-forced pass fed its own tokens; a beam of 1 is greedy; a wider beam reads a text at least as probable', () => {
    manualSeed(3);
    const model = tinyModel(true);
    const { x, prev, target } = tinyBatch();
    model.evaluate();
    const [logp, tokens] = (model.forward(x) as Tensor[]).map((t) => t.clone());
    const fed = tf.concat([tf.fill([4, 1], V, 'int32'), tf.slice(tokens!, [0, 0], [4, L])], 1);
    expect(maxDiff(model.forward([x, fed]) as Tensor, logp!)).toBeLessThan(1e-5);
    const probability = (lp: Tensor, tok: Tensor) =>
      tf.tidy(() => {
        // log-probability of each row's text and end: the steps up to the first end symbol
        const picked = tf.sum(tf.mul(lp, tf.oneHot(tok, V)), -1);
        const isEnd = tf.cast(tf.equal(tok, V - 1), 'int32');
        const before = tf.less(tf.sub(tf.cumsum(isEnd, 1), isEnd), 1);
        return Array.from(tf.sum(tf.where(before, picked, tf.zerosLike(picked)), 1).dataSync());
      });
    const greedy = probability(logp!, tokens!);
    model.beamWidth = 1;
    const [lp1, tok1] = model.forward(x) as Tensor[];
    const ends = (t: Tensor) => (t.arraySync() as number[][]).map((r) => r.slice(0, r.indexOf(V - 1) + 1 || r.length).join(','));
    expect(ends(tok1!)).toEqual(ends(tokens!));
    expect(probability(lp1!, tok1!).map((p) => +p.toFixed(5))).toEqual(greedy.map((p) => +p.toFixed(5)));
    model.beamWidth = 3;
    const [lp3, tok3] = model.forward(x) as Tensor[];
    // the rows of the beam's path are the model's distributions along it: teacher forcing reproduces them
    const beamFed = tf.concat([tf.fill([4, 1], V, 'int32'), tf.slice(tok3!, [0, 0], [4, L])], 1);
    const beamRows = (lp3 as Tensor).clone();
    const beamTok = (tok3 as Tensor).clone();
    model.beamWidth = 1;
    const forced = model.forward([x, beamFed]) as Tensor;
    const keep = tf.tidy(() =>
      tf.expandDims(tf.less(tf.sub(tf.cumsum(tf.cast(tf.equal(beamTok, V - 1), 'int32'), 1), tf.cast(tf.equal(beamTok, V - 1), 'int32')), 1), 2),
    );
    expect(maxDiff(tf.mul(forced, tf.cast(keep, 'float32')), tf.mul(beamRows, tf.cast(keep, 'float32')))).toBeLessThan(1e-5);
    const beam = probability(beamRows, beamTok);
    beam.forEach((p, i) => expect(p).toBeGreaterThanOrEqual(greedy[i]! - 1e-5));
    tf.dispose([x, prev, target, logp!, tokens!, fed, beamFed, beamRows, beamTok, keep]);
    model.dispose();
  });

  it('keeps the tensor count flat over 200 training steps (classic and fused) with greedy and beam decoding', () => {
    manualSeed(4);
    const model = tinyModel(true);
    const crit = buildSeq2seqCaptcha({ ...CAPTCHA, numClasses: V }).task.criterion;
    const opt = new Optimizer(model, 'adam', { learningRate: 0.01 });
    const { x, prev, target } = tinyBatch();
    const input = [x, prev];
    const step = (i: number) => {
      model.training();
      model.zeroGradParameters();
      let loss: number;
      if (i % 2) loss = fusedBackward(model, crit, input, target);
      else {
        const out = model.forward(input);
        loss = crit.forward(out, target);
        model.backward(input, crit.backward(out, target));
      }
      opt.step(loss);
      model.evaluate();
      model.beamWidth = i % 3 === 0 ? 3 : 1;
      model.forward(x);
      return loss;
    };
    const first = step(0);
    step(1);
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 2; i < 200; i++) last = step(i);
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first / 4);
    opt.dispose();
    tf.dispose([x, prev, target]);
    model.dispose();
  });

  it('names bad input and a backward without teacher forcing', () => {
    const model = tinyModel(false);
    const x = tf.zeros([2, 8, 16, 1]);
    expect(() => model.forward([x, tf.zeros([2, 4])])).toThrow(ShapeError);
    expect(() => model.forward([x, tf.zeros([3, 4], 'int32')])).toThrow(/previous tokens/);
    expect(() => model.forward([x, x, x])).toThrow(/EncoderDecoder: expected/);
    model.evaluate();
    const out = model.forward(x);
    expect(() => model.backward(x, out)).toThrow(ModuleError);
    expect(() => model.backward(x, out)).toThrow(/teacher-forced input/);
    expect(
      () => new EncoderDecoder(0, new Sequential(), new SeqLSTM(2, 2, { batchFirst: true }), new LookupTable(3, 2), new FastLSTM(4, 2), new Linear(4, 2)),
    ).toThrow('EncoderDecoder: maxLength must be a positive integer, got 0');
    expect(
      () => new EncoderDecoder(3, new Sequential(), new SeqLSTM(2, 2, { batchFirst: true }), new LookupTable(3, 2), new FastLSTM(5, 2), new Linear(4, 2)),
    ).toThrow('EncoderDecoder: the cell reads [embedding; context], 2 + 2 = 4 inputs, not 5');
    x.dispose();
    model.dispose();
  });
});
