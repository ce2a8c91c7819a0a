import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { bahdanauScore, refAttention, refAttentionGrads } from './attentionTestUtils';
import { BahdanauAttention } from './BahdanauAttention';
import { expectClose } from './testing';

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('BahdanauAttention', () => {
  it('matches a key-by-key reference: context, weights and the gradients of query, keys and parameters', () => {
    manualSeed(1);
    const m = new BahdanauAttention(3, 4, 5).returnWeights();
    const q = rand([2, 3], 1);
    const keys = rand([2, 6, 4], 2);
    const gc = rand([2, 4], 3);
    const gw = rand([2, 6], 4);
    const [ctx, w] = m.forward([q, keys]) as Tensor[];
    const [ps, gs] = m.parameters();
    const ref = refAttention(bahdanauScore, q, keys, ps);
    expectClose(ctx, ref.context, { atol: 1e-5 });
    expectClose(w, ref.weights, { atol: 1e-6 });
    m.zeroGradParameters();
    const [gq, gk] = m.backward([q, keys], [gc, gw]) as Tensor[];
    const g = refAttentionGrads(bahdanauScore, q, keys, ps, gc, gw);
    expectClose(gq, g[0], { atol: 1e-5, what: 'query' });
    expectClose(gk, g[1], { atol: 1e-5, what: 'keys' });
    ['weight_q', 'weight_k', 'bias', 'weight_v'].forEach((k, i) => expectClose(gs[i], g[2 + i], { atol: 1e-5, what: k }));
  });

  it('has PyTorch-style keys and shapes, Torch-like printing and a spec', () => {
    manualSeed(2);
    const m = new BahdanauAttention(3, 4, 5);
    expect([...m.stateShapes()]).toEqual([
      ['weight_q', [5, 3]],
      ['weight_k', [5, 4]],
      ['bias', [5]],
      ['weight_v', [5]],
    ]);
    expect(m.toString()).toBe('nn.BahdanauAttention(query 3, keys 4, hidden 5)');
    expect(m.toSpec()).toEqual({ type: 'BahdanauAttention', args: [3, 4, 5] });
    m.returnWeights();
    expect(m.toString()).toBe('nn.BahdanauAttention(query 3, keys 4, hidden 5) -> {context, weights}');
    expect(m.toSpec()).toEqual({ type: 'BahdanauAttention', args: [3, 4, 5], returnWeights: true });
    expect(new BahdanauAttention(2, 6).hiddenSize).toBe(6);
    expect(() => new BahdanauAttention(2, 3, 0)).toThrow(RangeError);
    m.dispose();
  });

  it('initialises as Torch Linear maps: each parameter within its ±1/√fan-in bound and not constant', () => {
    manualSeed(3);
    const m = new BahdanauAttention(4, 9, 16);
    const bounds: Record<string, number> = { weight_q: 1 / 2, weight_k: 1 / 3, bias: 1 / 3, weight_v: 1 / 4 };
    const sd = m.stateDict();
    for (const [k, t] of Object.entries(sd)) {
      const v = Array.from(t.dataSync());
      expect(Math.max(...v.map(Math.abs)), k).toBeLessThanOrEqual(bounds[k]);
      expect(Math.max(...v.map(Math.abs)), k).toBeGreaterThan(bounds[k] / 2);
    }
    tf.dispose(Object.values(sd));
    m.dispose();
  });
});
