/**
 * PyTorch parity of the recurrent modules, on fixtures made by
 * scripts/parity/make_rnn_fixtures.py (checked in with --seed 1; set
 * CAPTCHA_NN_PARITY_RNN_DIR to use others). Tolerance |a − b| ≤ 1e-4·max(1, |b|).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors';
import { Criterion, type Target } from '../../src/nn/Criterion';
import type { Module } from '../../src/nn/Module';
import { expectClose } from '../../src/nn/testing';
import { BiSequencer } from '../../src/rnn/BiSequencer';
import { FastLSTM } from '../../src/rnn/FastLSTM';
import { GRU } from '../../src/rnn/GRU';
import { LSTM } from '../../src/rnn/LSTM';
import { SeqLSTM } from '../../src/rnn/SeqLSTM';
import { Sequencer } from '../../src/rnn/Sequencer';
import { fusedBackward } from '../../src/train/fusedStep';
import type { Activity } from '../../src/util/activity';
import { tf } from '../../src/tf';

const DIR = process.env.CAPTCHA_NN_PARITY_RNN_DIR || fileURLToPath(new URL('../fixtures/parity-rnn/', import.meta.url));
const RTOL = 1e-4;

function under(T: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(T)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** The model run on the fixture and the module whose state dict is PyTorch's. */
function build(kind: string, I: number, H: number): [Module, Module] {
  const seq = (cell: Module): [Module, Module] => [new Sequencer(cell), cell];
  switch (kind) {
    case 'FastLSTM':
      return seq(new FastLSTM(I, H));
    case 'GRU':
      return seq(new GRU(I, H));
    case 'LSTM':
      return seq(new LSTM(I, H));
    case 'SeqLSTM': {
      const m = new SeqLSTM(I, H);
      return [m, m];
    }
    case 'BiSequencer': {
      const m = new BiSequencer(new FastLSTM(I, H));
      return [m, m];
    }
  }
  throw new Error(kind);
}

/** Σ output · grad_output, whose gradients are the fixture's backward pass. */
class DotCriterion extends Criterion {
  readonly typeName = 'DotCriterion';
  protected loss(input: Activity, target: Target): Tensor {
    return (input as Tensor).mul(target as Tensor).sum();
  }
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.safetensors'))
  .sort();

describe('rnn parity with PyTorch', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(0));

  for (const f of files) {
    it(f.replace('.safetensors', ''), () => {
      const { tensors: T, metadata: meta } = decodeSafetensors(new Uint8Array(readFileSync(join(DIR, f))), f);
      const I = Number(meta.I);
      const H = Number(meta.H);
      const [m, owner] = build(meta.kind, I, H);
      owner.loadStateDict(under(T, 'state.'), { strict: true });
      if (m instanceof SeqLSTM) m.setHiddenState(-1, [T.h0, T.c0]);
      const y = m.forward(T.input) as Tensor;
      m.zeroGradParameters();
      const gx = m.backward(T.input, T.grad_output) as Tensor;
      const tol = (what: string) => ({ atol: RTOL, rtol: RTOL, what: `${f} ${what}` });
      expectClose(y, T.output, tol('output'));
      expectClose(gx, T.grad_input, tol('grad_input'));
      const grads = owner.gradStateDict();
      const want = under(T, 'grad.');
      expect(Object.keys(grads).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) expectClose(grads[k], want[k], tol(`grad.${k}`));
      if (m instanceof SeqLSTM) {
        const [gh, gc] = m.getGradHiddenState()!;
        expectClose(gh, T.grad_h0, tol('grad_h0'));
        expectClose(gc, T.grad_c0, tol('grad_c0'));
      }
      tf.dispose(Object.values(grads));
      m.dispose();
      tf.dispose(Object.values(T));
    });

    // What the fused step and `apply` run: a Sequencer'd or BiSequencer'd
    // FastLSTM and SeqLSTM as one op with its own backward (lstmSequence.ts).
    it(`${f.replace('.safetensors', '')}, under a tape`, () => {
      const { tensors: T, metadata: meta } = decodeSafetensors(new Uint8Array(readFileSync(join(DIR, f))), f);
      const [m, owner] = build(meta.kind, Number(meta.I), Number(meta.H));
      owner.loadStateDict(under(T, 'state.'), { strict: true });
      if (m instanceof SeqLSTM) m.setHiddenState(-1, [T.h0, T.c0]);
      const tol = (what: string) => ({ atol: RTOL, rtol: RTOL, what: `${f} ${what}, under a tape` });
      const y = tf.tidy(() => m.apply(T.input) as Tensor);
      expectClose(y, T.output, tol('output'));
      const [gx] = tf.grads((x: Tensor) => (m.apply(x) as Tensor).mul(T.grad_output).sum())([T.input]);
      expectClose(gx, T.grad_input, tol('grad_input'));
      m.zeroGradParameters();
      fusedBackward(m, new DotCriterion(), T.input, T.grad_output);
      const grads = owner.gradStateDict();
      for (const [k, want] of Object.entries(under(T, 'grad.'))) expectClose(grads[k], want, tol(`grad.${k}`));
      tf.dispose([y, gx, ...Object.values(grads)]);
      m.dispose();
      tf.dispose(Object.values(T));
    });
  }
});
