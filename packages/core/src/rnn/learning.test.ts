/**
 * Learning tests (fixed seeds): a Sequencer'd LSTM learns a delayed copy, and
 * a FastLSTM encoder/decoder learns to reverse sequences, with greedy
 * decoding on held-out sequences.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { ClassNLLCriterion } from '../nn/ClassNLLCriterion';
import { Linear } from '../nn/Linear';
import { LogSoftMax } from '../nn/LogSoftMax';
import { LookupTable } from '../nn/LookupTable';
import { Sequential } from '../nn/Sequential';
import { Optimizer } from '../optim/Optimizer';
import { FastLSTM } from './FastLSTM';
import { Sequencer } from './Sequencer';
import { SequencerCriterion } from './SequencerCriterion';

function argmaxRows(t: Tensor): number[] {
  return Array.from(tf.tidy(() => tf.argMax(t, -1)).dataSync());
}

// Learning, not speed: on a loaded 2-core machine a test can take minutes.
describe('learning', { timeout: 300_000 }, () => {
  it('a Sequencer(FastLSTM) learns to copy its input two steps later', () => {
    manualSeed(1);
    const rng = seedrandom('copy');
    const V = 4;
    const T = 10;
    const N = 16;
    const model = new Sequential(
      new Sequencer(new LookupTable(V, 8)),
      new Sequencer(new FastLSTM(8, 24)),
      new Sequencer(new Linear(24, V)),
      new Sequencer(new LogSoftMax()),
    );
    const crit = new SequencerCriterion(new ClassNLLCriterion());
    const opt = new Optimizer(model, 'adam', { learningRate: 0.02 });
    const batch = () => {
      const x = Array.from({ length: T }, () => Array.from({ length: N }, () => Math.floor(rng() * V)));
      const y = x.map((_, t) => (t < 2 ? new Array(N).fill(0) : x[t - 2]));
      return { x: tf.tensor2d(x, [T, N], 'int32'), y: tf.tensor2d(y, [T, N], 'int32') };
    };
    const step = () => {
      const { x, y } = batch();
      model.zeroGradParameters();
      const out = model.forward(x);
      const loss = crit.forward(out, y);
      model.backward(x, crit.backward(out, y));
      opt.step(loss);
      tf.dispose([x, y]);
      return loss;
    };
    step();
    const before = tf.memory().numTensors;
    let loss = 0;
    for (let i = 0; i < 150; i++) loss = step();
    expect(tf.memory().numTensors).toBe(before);
    model.evaluate();
    const { x, y } = batch();
    const pred = argmaxRows(model.forward(x) as Tensor);
    const want = Array.from(y.dataSync());
    const acc = pred.filter((p, i) => p === want[i]).length / want.length;
    expect(acc, `loss ${loss}`).toBe(1);
  });

  it('a FastLSTM encoder/decoder learns to reverse sequences of 3-8 symbols (held-out: 100%)', () => {
    manualSeed(2);
    const rng = seedrandom('reverse');
    const V = 5; // symbols 1..V; 0 is GO (decoder input) and EOS (decoder output)
    const E = 12;
    const H = 48;
    const N = 32;
    const encEmb = new LookupTable(V + 1, E);
    const encLSTM = new FastLSTM(E, H);
    const enc = new Sequential(new Sequencer(encEmb), new Sequencer(encLSTM));
    const decEmb = new LookupTable(V + 1, E);
    const decLSTM = new FastLSTM(E, H);
    const decOut = new Sequential(new Linear(H, V + 1), new LogSoftMax());
    const dec = new Sequential(new Sequencer(decEmb), new Sequencer(decLSTM), new Sequencer(decOut));
    const both = new Sequential(enc, dec); // for parameters() only
    const crit = new SequencerCriterion(new ClassNLLCriterion());
    const opt = new Optimizer(both, 'adam', { learningRate: 0.01 });
    const sample = (L: number) => Array.from({ length: L }, () => 1 + Math.floor(rng() * V));
    const key = (s: number[]) => s.join('');
    // held-out sequences, 10 of each length, never used for training
    const test: number[][] = [];
    const heldOut = new Set<string>();
    while (test.length < 60) {
      const s = sample(3 + (test.length % 6));
      if (!heldOut.has(key(s))) {
        heldOut.add(key(s));
        test.push(s);
      }
    }
    const trainSample = (L: number) => {
      for (;;) {
        const s = sample(L);
        if (!heldOut.has(key(s))) return s;
      }
    };

    const step = () => {
      const L = 3 + Math.floor(rng() * 6);
      const seqs = Array.from({ length: N }, () => trainSample(L));
      const rev = seqs.map((s) => s.slice().reverse());
      const [src, decIn, decTgt] = tf.tidy(() => [
        tf.tensor2d(seqs, [N, L], 'int32').transpose(), // [L, N], time-major
        tf
          .tensor2d(
            rev.map((r) => [0, ...r]),
            [N, L + 1],
            'int32',
          )
          .transpose(),
        tf
          .tensor2d(
            rev.map((r) => [...r, 0]),
            [N, L + 1],
            'int32',
          )
          .transpose(),
      ]);
      both.zeroGradParameters();
      enc.forward(src);
      decLSTM.setHiddenState(-1, encLSTM.getHiddenState()); // [h, c] after the last source step
      const out = dec.forward(decIn);
      const loss = crit.forward(out, decTgt);
      dec.backward(decIn, crit.backward(out, decTgt));
      encLSTM.setGradHiddenState(encLSTM.step - 1, decLSTM.getGradHiddenState());
      const zeros = tf.zeros([L, N, H]);
      enc.backward(src, zeros);
      opt.step(loss);
      tf.dispose([src, decIn, decTgt, zeros]);
      // the modules keep the last sequence's steps: compare counts per length
      const c = counts.get(L) ?? [];
      c.push(tf.memory().numTensors);
      counts.set(L, c);
      return loss;
    };

    const counts = new Map<number, number[]>();
    step();
    counts.clear();
    let loss = 0;
    const t0 = Date.now();
    for (let i = 0; i < 800; i++) {
      if (i === 550) opt.config.learningRate = 0.003;
      loss = step();
    }
    const ms = Date.now() - t0;
    for (const c of counts.values()) expect(Math.max(...c)).toBe(Math.min(...c));

    // greedy decoding of held-out sequences, one step at a time
    both.evaluate();
    let correct = 0;
    for (let L = 3; L <= 8; L++) {
      const group = test.filter((s) => s.length === L);
      const M = group.length;
      const src = tf.tidy(() => tf.tensor2d(group, [M, L], 'int32').transpose());
      enc.forward(src);
      decLSTM.forget().setHiddenState(-1, encLSTM.getHiddenState());
      let tok = tf.zeros([M], 'int32');
      const outs: number[][] = group.map(() => []);
      for (let t = 0; t < L + 1; t++) {
        const h = decLSTM.forward(decEmb.forward(tok));
        const next = argmaxRows(decOut.forward(h) as Tensor);
        next.forEach((k, i) => outs[i].push(k));
        tok.dispose();
        tok = tf.tensor1d(next, 'int32');
      }
      tok.dispose();
      src.dispose();
      group.forEach((s, i) => {
        if (key(outs[i]) === key([...s.slice().reverse(), 0])) correct++;
      });
    }
    expect(correct, `loss ${loss}, ${ms} ms for 800 steps`).toBe(test.length);
  });
});
