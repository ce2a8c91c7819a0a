import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { manualSeed } from '../util/random';
import { dotScore, generalScore, refAttention, refAttentionGrads } from './attentionTestUtils';
import { LuongAttention } from './LuongAttention';
import { expectClose } from './testing';

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('LuongAttention', () => {
  for (const [score, Hq, Hk, ref] of [
    ['general', 3, 5, generalScore],
    ['dot', 4, 4, dotScore],
  ] as const)
    it(`'${score}' matches a key-by-key reference: context, weights and the gradients of query, keys and parameters`, () => {
      manualSeed(1);
      const m = new LuongAttention(Hq, Hk, score).returnWeights();
      const q = rand([3, Hq], 1);
      const keys = rand([3, 7, Hk], 2);
      const gc = rand([3, Hk], 3);
      const gw = rand([3, 7], 4);
      const [ctx, w] = m.forward([q, keys]) as Tensor[];
      const [ps, gs] = m.parameters();
      const r = refAttention(ref, q, keys, ps);
      expectClose(ctx, r.context, { atol: 1e-5 });
      expectClose(w, r.weights, { atol: 1e-6 });
      m.zeroGradParameters();
      const [gq, gk] = m.backward([q, keys], [gc, gw]) as Tensor[];
      const g = refAttentionGrads(ref, q, keys, ps, gc, gw);
      expectClose(gq, g[0], { atol: 1e-5, what: 'query' });
      expectClose(gk, g[1], { atol: 1e-5, what: 'keys' });
      expect(gs.length).toBe(score === 'general' ? 1 : 0);
      if (score === 'general') expectClose(gs[0], g[2], { atol: 1e-5, what: 'weight' });
    });

  it('has a [Hq, Hk] weight for general, none for dot; prints and describes itself', () => {
    manualSeed(2);
    const g = new LuongAttention(3, 5);
    expect([...g.stateShapes()]).toEqual([['weight', [3, 5]]]);
    expect(g.toString()).toBe('nn.LuongAttention(general, query 3, keys 5)');
    expect(g.toSpec()).toEqual({ type: 'LuongAttention', args: [3, 5, 'general'] });
    const d = new LuongAttention(4, undefined, 'dot').returnWeights();
    expect([...d.stateShapes()]).toEqual([]);
    expect(d.toString()).toBe('nn.LuongAttention(dot, query 4, keys 4) -> {context, weights}');
    expect(d.toSpec()).toEqual({ type: 'LuongAttention', args: [4, 4, 'dot'], returnWeights: true });
    expect(() => new LuongAttention(3, 4, 'dot')).toThrow(/querySize = keySize/);
    expect(() => new LuongAttention(3, 4, 'concat' as 'dot')).toThrow(RangeError);
    g.dispose();
    d.dispose();
  });
});
