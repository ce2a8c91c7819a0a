/**
 * PyTorch parity of the attention modules, on fixtures made by
 * scripts/parity/make_attention_fixtures.py (checked in with --seed 1; set
 * CAPTCHA_NN_PARITY_ATTENTION_DIR to use others): one step of each score,
 * with and without lengths. Tolerance |a − b| ≤ 1e-4·max(1, |b|).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors';
import { BahdanauAttention } from '../../src/nn/BahdanauAttention';
import { LuongAttention } from '../../src/nn/LuongAttention';
import type { Module } from '../../src/nn/Module';
import { expectClose } from '../../src/nn/testing';
import { tf } from '../../src/tf';

const DIR = process.env.CAPTCHA_NN_PARITY_ATTENTION_DIR || fileURLToPath(new URL('../fixtures/parity-attention/', import.meta.url));
const RTOL = 1e-4;

function under(T: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(T)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function build(kind: string, Hq: number, Hk: number, A: number): Module {
  switch (kind) {
    case 'bahdanau':
      return new BahdanauAttention(Hq, Hk, A).returnWeights();
    case 'luong_general':
      return new LuongAttention(Hq, Hk, 'general').returnWeights();
    case 'luong_dot':
      return new LuongAttention(Hq, Hk, 'dot').returnWeights();
  }
  throw new Error(`unknown kind ${kind}`);
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.safetensors'))
  .sort();

describe('attention parity with PyTorch', () => {
  it('has fixtures of every score, with and without lengths', () => {
    const kinds = files.map((f) => f.replace('.safetensors', '')).sort();
    expect(kinds).toEqual(['bahdanau', 'bahdanau_lengths', 'luong_dot', 'luong_dot_lengths', 'luong_general', 'luong_general_lengths']);
  });

  for (const f of files) {
    it(f.replace('.safetensors', ''), () => {
      const { tensors: T, metadata: meta } = decodeSafetensors(new Uint8Array(readFileSync(join(DIR, f))), f);
      const m = build(meta.kind, Number(meta.Hq), Number(meta.Hk), Number(meta.A));
      m.loadStateDict(under(T, 'state.'), { strict: true });
      const lengths = T.lengths ? T.lengths.cast('int32') : undefined;
      const input = lengths ? [T.query, T.keys, lengths] : [T.query, T.keys];
      const [context, weights] = m.forward(input) as Tensor[];
      m.zeroGradParameters();
      const [gq, gk] = m.backward(input, [T.grad_context, T.grad_weights]) as Tensor[];
      const tol = (what: string) => ({ atol: RTOL, rtol: RTOL, what: `${f} ${what}` });
      expectClose(context, T.context, tol('context'));
      expectClose(weights, T.weights, tol('weights'));
      expectClose(gq, T.grad_query, tol('grad_query'));
      expectClose(gk, T.grad_keys, tol('grad_keys'));
      const grads = m.gradStateDict();
      const want = under(T, 'grad.');
      expect(Object.keys(grads).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) expectClose(grads[k], want[k], tol(`grad.${k}`));
      tf.dispose(Object.values(grads));
      if (lengths) lengths.dispose();
      m.dispose();
      tf.dispose(Object.values(T));
    });
  }
});
