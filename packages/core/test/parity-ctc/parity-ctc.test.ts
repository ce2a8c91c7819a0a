/**
 * PyTorch parity of CTCCriterion (F.ctc_loss), on fixtures made by
 * scripts/parity/make_ctc_fixtures.py (checked in with --seed 1; set
 * CAPTCHA_NN_PARITY_CTC_DIR to use others). The loss, and its gradient with
 * respect to the logits through LogSoftMax, to |a − b| ≤ 1e-4·max(1, |b|).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors';
import { CTCCriterion, type CTCReduction } from '../../src/nn/CTCCriterion';
import { LogSoftMax } from '../../src/nn/LogSoftMax';
import { expectClose } from '../../src/nn/testing';
import { tf } from '../../src/tf';

const DIR = process.env.CAPTCHA_NN_PARITY_CTC_DIR || fileURLToPath(new URL('../fixtures/parity-ctc/', import.meta.url));
const RTOL = 1e-4;

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.safetensors'))
  .sort();

describe('CTC parity with PyTorch', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThan(0));

  for (const f of files) {
    it(f.replace('.safetensors', ''), () => {
      const { tensors: T, metadata: meta } = decodeSafetensors(new Uint8Array(readFileSync(join(DIR, f))), f);
      const lengths = Array.from(T.label_lengths.dataSync());
      const flat = T.labels ? Array.from(T.labels.dataSync()) : [];
      const labels = lengths.map((_, n) => flat.slice(lengths.slice(0, n).reduce((a, b) => a + b, 0)).slice(0, lengths[n]));
      const target = { labels, inputLengths: Array.from(T.input_lengths.dataSync()) };
      const reduction = meta.reduction as CTCReduction;
      const crit = new CTCCriterion({ blank: Number(meta.blank), reduction, zeroInfinity: meta.zero_infinity === 'true' });
      const lsm = new LogSoftMax();
      const lp = lsm.forward(T.logits) as Tensor;
      const loss = crit.forward(lp, target);
      const gradLogits = lsm.backward(T.logits, crit.backward(lp, target)) as Tensor;
      const tol = (what: string) => ({ atol: RTOL, rtol: RTOL, what: `${f} ${what}` });

      const want = Array.from(T.loss.dataSync());
      if (reduction === 'none') expectClose(crit.losses.map(finiteOr(-1)), want.map(finiteOr(-1)), tol('losses'));
      const total = want.reduce((a, b) => a + b, 0);
      if (Number.isFinite(total)) expect(Math.abs(loss - total)).toBeLessThanOrEqual(RTOL * Math.max(1, Math.abs(total)));
      else expect(loss).toBe(total);

      // PyTorch's gradient is NaN for an impossible sample without zeroInfinity; ours is 0.
      const theirs = Array.from(T.grad_logits.dataSync(), (v) => (Number.isNaN(v) ? 0 : v));
      expectClose(gradLogits, theirs, tol('grad_logits'));
      expect(gradLogits.dataSync().every(Number.isFinite)).toBe(true);
      crit.dispose();
      lsm.dispose();
      tf.dispose(Object.values(T));
    });
  }
});

/** Infinite losses compared as a marker value (expectClose would see ∞ − ∞). */
const finiteOr = (marker: number) => (v: number) => (Number.isFinite(v) ? v : v === Infinity ? marker : Number.NaN);
