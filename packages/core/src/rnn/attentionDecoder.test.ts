/**
 * Attention in a decoder run step by step: a Luong-style step (LSTM, then
 * attention of its h over the encoder outputs, then tanh(W_c [h; context])
 * and a softmax) wrapped by a Sequencer in a Recursor, with teacher forcing
 * and the same keys at every step.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { decodeModel, encodeModel } from '../io/model';
import { type KeyScore, bahdanauScore, generalScore, refAttention } from '../nn/attentionTestUtils';
import { BahdanauAttention } from '../nn/BahdanauAttention';
import { ClassNLLCriterion } from '../nn/ClassNLLCriterion';
import { ConcatTable } from '../nn/ConcatTable';
import { JoinTable } from '../nn/JoinTable';
import { Linear } from '../nn/Linear';
import { LogSoftMax } from '../nn/LogSoftMax';
import { LookupTable } from '../nn/LookupTable';
import { LuongAttention } from '../nn/LuongAttention';
import type { Module } from '../nn/Module';
import { SelectTable } from '../nn/SelectTable';
import { Sequential } from '../nn/Sequential';
import { Tanh } from '../nn/Tanh';
import { expectClose } from '../nn/testing';
import { Optimizer } from '../optim/Optimizer';
import { FastLSTM } from './FastLSTM';
import { Sequencer } from './Sequencer';
import { SequencerCriterion } from './SequencerCriterion';
import { lstmCellRef, randomSeq } from './testUtils';

/**
 * One decoder step: input {x, keys, lengths} (x [N, E], or token ids [N]
 * with `embed`), output log-probabilities [N, V].
 */
function decoderStep(lstm: FastLSTM, attn: Module, H: number, Hk: number, V: number, embed?: Module): Sequential {
  const input = embed ? new Sequential(new SelectTable(0), embed, lstm) : new Sequential(new SelectTable(0), lstm);
  return new Sequential(
    new ConcatTable(input, new SelectTable(1), new SelectTable(2)), // {h, keys, lengths}
    new ConcatTable(new SelectTable(0), attn), // {h, context}
    new JoinTable(1),
    new Linear(H + Hk, H),
    new Tanh(),
    new Linear(H, V),
    new LogSoftMax(),
  );
}

describe('attention decoder, step by step', () => {
  for (const [name, score, makeAttn] of [
    ['Bahdanau', bahdanauScore, (H: number, Hk: number) => new BahdanauAttention(H, Hk, 5)],
    ['Luong general', generalScore, (H: number, Hk: number) => new LuongAttention(H, Hk)],
  ] as [string, KeyScore, (H: number, Hk: number) => Module][])
    it(`${name}: Sequencer BPTT with teacher forcing, padded keys and an encoder state matches autodiff of the unrolled formula; tensors flat`, () => {
      manualSeed(5);
      const [T, N, E, H, Hk, S, V] = [4, 3, 3, 4, 6, 5, 7];
      const lengths = [5, 3, 1];
      const lstm = new FastLSTM(E, H);
      const attn = makeAttn(H, Hk);
      const dec = new Sequencer(decoderStep(lstm, attn, H, Hk, V));
      const xs = randomSeq(T, [N, E], 1);
      const keys = tf.randomNormal([N, S, Hk], 0, 1, 'float32', 20);
      const L = tf.tensor1d(lengths, 'int32');
      const h0 = tf.randomNormal([N, H], 0, 1, 'float32', 21);
      const c0 = tf.randomNormal([N, H], 0, 1, 'float32', 22);
      const gys = randomSeq(T, [N, V], 30);
      const steps = xs.map((x) => [x, keys, L]); // the same keys at every step
      lstm.setHiddenState(-1, [h0, c0]); // as an encoder's final state would be

      const run = () => {
        const ys = dec.forward(steps) as Tensor[];
        dec.zeroGradParameters();
        const gis = dec.backward(steps, gys) as Tensor[][];
        return { ys, gis };
      };
      const { ys, gis } = run();

      const [ps, gs] = dec.parameters();
      const nAttn = attn.parameters()[0].length;
      const f = (...a: Tensor[]) => {
        const [k, hh, cc] = a.slice(T, T + 3);
        const w = a.slice(T + 3);
        const [wl, wa, [w1, b1, w2, b2]] = [w.slice(0, 4), w.slice(4, 4 + nAttn), w.slice(4 + nAttn)];
        let s = [hh, cc];
        const outs = a.slice(0, T).map((x) => {
          s = lstmCellRef(x, s, wl);
          const { context } = refAttention(score, s[0], k, wa, lengths);
          const z = tf.concat([s[0], context], 1).matMul(w1.transpose()).add(b1).tanh().matMul(w2.transpose()).add(b2);
          return tf.logSoftmax(z);
        });
        return [outs, tf.addN(outs.map((y, t) => y.mul(gys[t]).sum()))] as const;
      };
      const refYs = f(...xs, keys, h0, c0, ...ps)[0];
      ys.forEach((y, t) => expectClose(y, refYs[t], { atol: 1e-5, what: `output ${t}` }));
      const g = tf.grads((...a: Tensor[]) => f(...a)[1])([...xs, keys, h0, c0, ...ps]);
      gis.forEach(([gx], t) => expectClose(gx, g[t], { atol: 1e-5, what: `gradInput x ${t}` }));
      // the keys feed every step: their gradient is the sum of the steps' gradInputs
      expectClose(tf.addN(gis.map((gi) => gi[1])), g[T], { atol: 1e-5, what: 'keys' });
      gis.forEach((gi) => expectClose(gi[2], 0, { atol: 0 }));
      const [gh0, gc0] = lstm.getGradHiddenState() as Tensor[];
      expectClose(gh0, g[T + 1], { atol: 1e-5, what: 'h0' });
      expectClose(gc0, g[T + 2], { atol: 1e-5, what: 'c0' });
      gs.forEach((gw, i) => expectClose(gw, g[T + 3 + i], { atol: 1e-5, what: `parameter ${i}` }));
      tf.dispose([...refYs, ...g]);

      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) run();
      expect(tf.memory().numTensors).toBe(before);
      dec.dispose();
      tf.dispose([...xs, keys, L, h0, c0, ...gys]);
    });

  it('learns to read 4 symbols in reverse by attending to their positions (held-out: 100%, attention on the right column), and saves and loads', () => {
    manualSeed(6);
    const rng = seedrandom('attend');
    const [V, S, E, H, N] = [4, 4, 8, 16, 16]; // symbols 1..V, 0 = GO
    const Hk = V + 1 + S;
    // keys: one-hot symbol and one-hot position, like a CNN's feature columns with their coordinates
    const keysOf = (seqs: number[][]) =>
      tf.tensor3d(
        seqs.map((sq) => sq.map((v, s) => [...Array.from({ length: V + 1 }, (_, i) => +(i === v)), ...Array.from({ length: S }, (_, i) => +(i === s))])),
      );
    const lstm = new FastLSTM(E, H);
    const attn = new LuongAttention(H, Hk);
    const emb = new LookupTable(V + 1, E);
    const step = decoderStep(lstm, attn, H, Hk, V + 1, emb);
    const dec = new Sequencer(step);
    const crit = new SequencerCriterion(new ClassNLLCriterion());
    const opt = new Optimizer(dec, 'adam', { learningRate: 0.02 });
    const sample = () => Array.from({ length: S }, () => 1 + Math.floor(rng() * V));
    const test = Array.from({ length: 32 }, sample);
    const heldOut = new Set(test.map((s) => s.join('')));
    const trainSample = () => {
      for (;;) {
        const s = sample();
        if (!heldOut.has(s.join(''))) return s;
      }
    };
    const L = tf.tensor1d(new Array(N).fill(S), 'int32');

    const trainStep = () => {
      const seqs = Array.from({ length: N }, trainSample);
      const rev = seqs.map((s) => s.slice().reverse());
      const keys = keysOf(seqs);
      const toks = Array.from({ length: S }, (_, t) =>
        tf.tensor1d(
          rev.map((r) => (t === 0 ? 0 : r[t - 1])),
          'int32',
        ),
      ); // teacher forcing
      const target = tf.tidy(() => tf.tensor2d(rev, [N, S], 'int32').transpose()); // [S, N]
      const steps = toks.map((x) => [x, keys, L]);
      dec.zeroGradParameters();
      const out = dec.forward(steps);
      const loss = crit.forward(out, target);
      dec.backward(steps, crit.backward(out, target));
      opt.step(loss);
      tf.dispose([keys, target, ...toks]);
      return loss;
    };
    trainStep();
    const before = tf.memory().numTensors;
    let loss = 0;
    for (let i = 0; i < 100; i++) loss = trainStep();
    expect(tf.memory().numTensors).toBe(before);

    // greedy decoding of held-out sequences, one step at a time; a probe sharing the
    // attention's weight shows where each step looks
    dec.evaluate();
    const probe = attn.clone('weight').returnWeights();
    const keys = keysOf(test);
    const M = test.length;
    const LM = tf.tensor1d(new Array(M).fill(S), 'int32');
    lstm.forget();
    let tok = tf.zeros([M], 'int32');
    const outs: number[][] = test.map(() => []);
    let looks = 0;
    for (let t = 0; t < S; t++) {
      const logp = step.forward([tok, keys, LM]) as Tensor;
      const next = Array.from(tf.tidy(() => tf.argMax(logp, -1)).dataSync());
      next.forEach((k, i) => outs[i].push(k));
      const [, w] = probe.forward([lstm.output, keys, LM]) as Tensor[];
      const at = Array.from(tf.tidy(() => tf.argMax(w, -1)).dataSync());
      looks += at.filter((s) => s === S - 1 - t).length;
      tok.dispose();
      tok = tf.tensor1d(next, 'int32');
    }
    const correct = test.filter((s, i) => outs[i].join('') === s.slice().reverse().join('')).length;
    expect({ correct, looks }, `loss ${loss}`).toEqual({ correct: M, looks: M * S });

    // saved and loaded (spec + state dict), the decoder gives the same log-probabilities
    const loaded = decodeModel(encodeModel(dec)).model;
    expect(loaded.toString()).toBe(dec.toString());
    const toks = Array.from({ length: S }, (_, t) =>
      tf.tensor1d(
        test.map((sq) => (t === 0 ? 0 : sq[S - t])),
        'int32',
      ),
    );
    const steps = toks.map((x) => [x, keys, LM]);
    const want = (dec.forward(steps) as Tensor[]).map((y) => y.clone());
    expectClose(loaded.forward(steps) as Tensor[], want, { atol: 0 });
    tf.dispose([tok, keys, L, LM, ...toks, ...want]);
    loaded.dispose();
    probe.dispose();
    dec.dispose();
  });
});
