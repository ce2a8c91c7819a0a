/**
 * Both models learn to read short captchas of varying length through the
 * training stack (the trainer, its data-parallel-free step, validation,
 * the saved best model), and the trained attention model decodes
 * consistently: free-running = teacher-forced on its own tokens, beam
 * search at least as accurate as greedy, the same readings after loading.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend, tf, type Tensor } from '@captcha-nn/core';
import { batches, generatorSource } from '@captcha-nn/data';
import { evaluateRun, loadCaptchaModel, makeGenerator, train, type EvalResult } from '@captcha-nn/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncoderDecoder } from './index';
import { tinyTextData } from './test/helpers';

const dir = mkdtempSync(join(tmpdir(), 's2s-learn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await setBackend('wasm');
});

// Training takes 1-2 minutes per model on a free 2-core machine; far longer when other jobs share it.
const TRAINING = 1_800_000;

// 1 to 3 characters of 4, 64×24: small enough for a busy 2-core machine
const DATA = tinyTextData('variable', [1, 3]);

async function trainModel(model: string, epochs: number): Promise<{ out: string; losses: number[]; val: EvalResult }> {
  const losses: number[] = [];
  let val: EvalResult | null = null;
  const r = await train(
    { model, variant: 'compact', data: DATA, epochs, batchSize: 16, optim: 'adam', lr: 0.003, seed: '1', workers: 1, out: join(dir, model) },
    {
      onEpochEnd: (rec, v) => {
        losses.push(rec.trainLoss);
        val = v;
      },
    },
  );
  return { out: r.out, losses, val: val! };
}

/** Held-out images of the training data's kind, as one batch (the caller disposes x). */
async function heldOut(n: number): Promise<{ x: Tensor; labels: string[] }> {
  for await (const b of batches(generatorSource(makeGenerator(DATA, 'held-out'), { count: n, format: 'gray' }), { batchSize: n, shuffle: false })) {
    b.y.dispose();
    b.lengths.dispose();
    return { x: b.x, labels: b.labels };
  }
  throw new Error('no batch');
}

describe('learning to read captchas of 1 to 3 characters', () => {
  it(
    'seq2seq: the loss falls and it reads some whole captchas it never saw',
    async () => {
      const { losses, val } = await trainModel('seq2seq', 10);
      // chance: guessing the length (1 in 3) and each character (1 in 4) reads under 10%
      expect(losses.at(-1)!, `losses ${losses.map((l) => l.toFixed(3))}`).toBeLessThan(losses[0]! * 0.75);
      expect(val.captchaAccuracy).toBeGreaterThan(0.2);
    },
    TRAINING,
  );

  describe('attention', () => {
    let out = '';
    it(
      'learns: the loss falls well and most unseen captchas are read whole',
      async () => {
        const r = await trainModel('attention', 10);
        out = r.out;
        expect(r.losses.at(-1)!, `losses ${r.losses.map((l) => l.toFixed(3))}`).toBeLessThan(r.losses[0]! * 0.2);
        expect(r.val.captchaAccuracy).toBeGreaterThan(0.6);
        expect(r.val.byLength.map((l) => l.length)).toEqual([1, 2, 3]);
      },
      TRAINING,
    );

    it('free-running decoding is the teacher-forced pass on its own tokens; the saved model reads the same', async () => {
      const m = await loadCaptchaModel(out);
      const model = m.model as EncoderDecoder;
      expect(model).toBeInstanceOf(EncoderDecoder);
      const { x, labels } = await heldOut(32);
      model.evaluate();
      const [logp, tokens] = (model.forward(x) as Tensor[]).map((t) => t.clone());
      const fed = tf.concat([tf.fill([32, 1], model.go, 'int32'), tf.slice(tokens!, [0, 0], [32, model.maxLength])], 1);
      const forced = model.forward([x, fed]) as Tensor;
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(forced, logp!))).dataSync()[0])).toBeLessThan(1e-4);
      // a second load reads exactly as the first
      const again = await loadCaptchaModel(out);
      const a = m.task.decode(model.forward(x));
      const b = again.task.decode(again.model.forward(x));
      expect(b).toEqual(a);
      expect(a.filter((r, i) => m.encoder.decode(r.ids) === labels[i]).length).toBeGreaterThan(16);
      tf.dispose([x, logp!, tokens!, fed]);
      again.model.dispose();
      model.dispose();
    });

    it('beam search (width 4) reads at least as many unseen captchas as greedy decoding', async () => {
      const generate = { generator: 'simple' as const, preset: 'variable', length: [1, 3] as [number, number], count: 128, seed: 'beam' };
      const m = await loadCaptchaModel(out);
      const greedy = await evaluateRun({ model: out, generate }, m);
      const beam = await evaluateRun({ model: out, generate, decode: { beam: 4 } }, m);
      expect(beam.count).toBe(128);
      expect(beam.captchaAccuracy, `greedy ${greedy.captchaAccuracy}`).toBeGreaterThanOrEqual(greedy.captchaAccuracy);
      expect(greedy.captchaAccuracy).toBeGreaterThan(0.5);
      m.model.dispose();
    });
  });
});
