/**
 * What the attention modules share (src/nn/Attention.ts): padding by lengths
 * or mask, the `{context, weights}` output, input checks, finite
 * differences, memory.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { ShapeError } from '../util/errors';
import { manualSeed } from '../util/random';
import { bahdanauScore, refAttention, refAttentionGrads } from './attentionTestUtils';
import { BahdanauAttention } from './BahdanauAttention';
import { LuongAttention } from './LuongAttention';
import { Sequential } from './Sequential';
import { expectClose, expectFlatSteps } from './testing';

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('Attention (Bahdanau and Luong)', () => {
  it('pads by lengths or by an equal mask: padded keys get weight 0 and no gradient, each row attends over its own keys only', () => {
    manualSeed(1);
    const m = new BahdanauAttention(3, 4, 5).returnWeights();
    const lengths = [5, 2, 0];
    const q = rand([3, 3], 1);
    const keys = rand([3, 5, 4], 2);
    const gc = rand([3, 4], 3);
    const gw = rand([3, 5], 4);
    const L = tf.tensor1d(lengths, 'int32');
    const mask = tf.tensor2d(
      lengths.map((n) => [0, 1, 2, 3, 4].map((s) => s < n)),
      undefined,
      'bool',
    );
    const [ctx, w] = (m.forward([q, keys, L]) as Tensor[]).map((t) => t.clone());
    const [ctxM, wM] = m.forward([q, keys, mask]) as Tensor[];
    expectClose(ctxM, ctx, { atol: 0 });
    expectClose(wM, w, { atol: 0 });
    expectClose(m.forward([q, keys, mask.cast('int32')]) as Tensor[], [ctx, w], { atol: 0 });
    const wv = w.arraySync() as number[][];
    expect(wv[1].slice(2)).toEqual([0, 0, 0]);
    expect(wv[2]).toEqual([0, 0, 0, 0, 0]); // no keys: zero weights and context
    expectClose(ctx.slice([2, 0], [1, -1]), 0, { atol: 0 });
    expectClose(w.sum(1), [1, 1, 0], { atol: 1e-6 });
    // row 1 alone, with only its 2 keys and no padding, gives the same numbers
    const [c1, w1] = m.forward([q.slice([1, 0], [1, -1]), keys.slice([1, 0, 0], [1, 2, -1])]) as Tensor[];
    expectClose(ctx.slice([1, 0], [1, -1]), c1, { atol: 1e-6 });
    expectClose(w.slice([1, 0], [1, 2]), w1, { atol: 1e-6 });

    const [ps, gs] = m.parameters();
    const ref = refAttention(bahdanauScore, q, keys, ps, lengths);
    expectClose(ctx, ref.context, { atol: 1e-5 });
    m.forward([q, keys, L]);
    m.zeroGradParameters();
    const [gq, gk, gL] = m.backward([q, keys, L], [gc, gw]) as Tensor[];
    const g = refAttentionGrads(bahdanauScore, q, keys, ps, gc, gw, lengths);
    expectClose(gq, g[0], { atol: 1e-5, what: 'query' });
    expectClose(gk, g[1], { atol: 1e-5, what: 'keys' });
    gs.forEach((x, i) => expectClose(x, g[2 + i], { atol: 1e-5, what: `parameter ${i}` }));
    expectClose(gk.slice([1, 2, 0], [1, 3, -1]), 0, { atol: 0 });
    expectClose(gL, 0, { atol: 0 });
    expect(gL.shape).toEqual([3]);
  });

  it('outputs the context alone by default; returnWeights() adds weights that sum to 1 over S', () => {
    manualSeed(2);
    const m = new LuongAttention(4, 4, 'dot');
    const q = rand([2, 4], 5);
    const keys = rand([2, 3, 4], 6);
    const ctx = (m.forward([q, keys]) as Tensor).clone();
    expect(ctx.shape).toEqual([2, 4]);
    const [ctx2, w] = m.returnWeights().forward([q, keys]) as Tensor[];
    expectClose(ctx2, ctx, { atol: 0 });
    expect(w.shape).toEqual([2, 3]);
    expectClose(w.sum(1), [1, 1], { atol: 1e-6 });
    expect(m.returnWeights(false).forward([q, keys])).toBeInstanceOf(tf.Tensor);
  });

  it('agrees with central finite differences of the loss along random directions', () => {
    manualSeed(3);
    for (const m of [new BahdanauAttention(3, 4, 6), new LuongAttention(3, 4)]) {
      const q = rand([2, 3], 7);
      const keys = rand([2, 5, 4], 8);
      const gc = rand([2, 4], 9);
      const [ps, gs] = m.parameters();
      const loss = () => tf.tidy(() => (m.apply([q, keys]) as Tensor).mul(gc).sum().dataSync()[0]);
      m.forward([q, keys]);
      m.zeroGradParameters();
      const [gq, gk] = m.backward([q, keys], gc) as Tensor[];
      // d/dε loss(x + ε·u) at 0 = <grad, u>, for each of query, keys, parameters
      const targets: [Tensor, Tensor][] = [[q, gq], [keys, gk], ...ps.map((p, i) => [p, gs[i]] as [Tensor, Tensor])];
      targets.forEach(([x, g], i) => {
        const u = rand(x.shape, 100 + i);
        const orig = x.clone();
        const eps = 1e-2;
        const at = (s: number) => {
          tf.tidy(() => (x as tf.Variable).assign(orig.add(u.mul(s))));
          return loss();
        };
        const isVar = x instanceof tf.Variable;
        let numeric: number;
        if (isVar) {
          numeric = (at(eps) - at(-eps)) / (2 * eps);
          tf.tidy(() => (x as tf.Variable).assign(orig));
        } else {
          const f = (s: number) => tf.tidy(() => (m.apply(i === 0 ? [q.add(u.mul(s)), keys] : [q, keys.add(u.mul(s))]) as Tensor).mul(gc).sum().dataSync()[0]);
          numeric = (f(eps) - f(-eps)) / (2 * eps);
        }
        const analytic = tf.tidy(() => g.mul(u).sum().dataSync()[0]);
        expect(Math.abs(numeric - analytic), `${m.typeName} input ${i}: ${numeric} vs ${analytic}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(analytic)));
        orig.dispose();
      });
      m.dispose();
    }
  });

  it('names the module and the entry in its shape errors', () => {
    const m = new Sequential(new BahdanauAttention(3, 4));
    const q = tf.zeros([2, 3]);
    const k = tf.zeros([2, 5, 4]);
    const err = (x: unknown) => {
      try {
        m.forward(x as Tensor[]);
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(err(q)).toBeInstanceOf(ShapeError);
    expect(String(err(q))).toMatch(/Sequential\.BahdanauAttention\(1\): expected input \{query \[N,3\], keys \[N,S,4\].*got \[2,3\]/);
    expect(String(err([q, tf.zeros([2, 5, 3])]))).toMatch(/expected input \[2,S,4\] \(keys\), got \[2,5,3\]/);
    expect(String(err([q, tf.zeros([3, 5, 4])]))).toMatch(/expected input \[2,S,4\] \(keys\), got \[3,5,4\]/);
    expect(String(err([tf.zeros([2, 4]), k]))).toMatch(/expected input \[N,3\] \(query\), got \[2,4\]/);
    expect(String(err([q, k, tf.zeros([2, 4], 'int32')]))).toMatch(/\[2\] or \[2,5\] \(lengths or mask\), got \[2,4\]/);
    expect(String(err([q, k, tf.ones([2])]))).toMatch(/int32 lengths or a bool\/int32 mask, got a float32 \[2\]/);
    expect(String(err([q, k, tf.ones([2], 'bool')]))).toMatch(/int32 lengths or a bool\/int32 mask, got a bool \[2\]/);
    expect(String(err([q, k, tf.ones([2, 5])]))).toMatch(/int32 lengths or a bool\/int32 mask, got a float32 \[2,5\]/);
    m.dispose();
  });

  it('keeps the tensor count flat over training steps, with lengths and a table output', () => {
    manualSeed(4);
    const q = rand([3, 3], 10);
    const keys = rand([3, 4, 5], 11);
    const L = tf.tensor1d([4, 1, 3], 'int32');
    const g = [rand([3, 5], 12), rand([3, 4], 13)];
    for (const m of [new BahdanauAttention(3, 5, 4).returnWeights(), new LuongAttention(3, 5).returnWeights()]) {
      expectFlatSteps(m, [q, keys, L], g, 5);
      m.dispose();
    }
    tf.dispose([q, keys, L, ...g]);
  });
});
