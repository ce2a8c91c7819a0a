import { setBackend, tf, type Module, type Tensor } from '@captcha-nn/core';
import { LabelEncoder } from '@captcha-nn/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { textOf } from './metrics';
import { decodeSteps, previousTokens, SEQ2SEQ_IGNORE, seq2seqTask, stepTargets } from './seq2seqTask';
import { taskFromSpec } from './taskFromSpec';

// charset 'abc': classes a=0 b=1 c=2, blank/end=3, GO=4
const enc = new LabelEncoder('abc');
const END = enc.blank;
const I = SEQ2SEQ_IGNORE;

beforeAll(async () => {
  await setBackend();
});

describe('seq2seqTask', () => {
  it('feeds GO then the characters, and scores the characters, the end symbol, and nothing after it', () => {
    const y = tf.tensor2d(
      [
        [0, 1, 2],
        [2, END, END],
        [END, END, END],
      ],
      [3, 3],
      'int32',
    );
    const prev = previousTokens(y, END);
    const target = stepTargets(y, END);
    expect(prev.arraySync()).toEqual([
      [4, 0, 1, 2],
      [4, 2, END, END],
      [4, END, END, END],
    ]);
    expect(target.arraySync()).toEqual([
      [0, 1, 2, END],
      [2, END, I, I],
      [END, I, I, I],
    ]);
    const task = seq2seqTask(END);
    const x = tf.zeros([3, 2, 2, 1]);
    const input = task.input!(x, y) as Tensor[];
    expect(input[0]).toBe(x);
    expect(input[1]!.arraySync()).toEqual(prev.arraySync());
    // the loss of uniform log-probabilities is log V whatever is ignored
    const logp = tf.fill([3, 4, 4], Math.log(1 / 4));
    expect(task.criterion.forward(logp, target)).toBeCloseTo(Math.log(4), 5);
    tf.dispose([y, prev, target, x, input[1]!, logp]);
  });

  it('reads tokens up to the first end symbol; the confidence is the probability of the text and its end', () => {
    const p = [
      // sample 0: 'ba' then end (0.5 · 0.8 · 0.9), then a step that must not count
      [
        [0.1, 0.5, 0.2, 0.2],
        [0.8, 0.1, 0.05, 0.05],
        [0.05, 0.025, 0.025, 0.9],
        [0.7, 0.1, 0.1, 0.1],
      ],
      // sample 1: end at once
      [
        [0.2, 0.1, 0.1, 0.6],
        [0.25, 0.25, 0.25, 0.25],
        [0.25, 0.25, 0.25, 0.25],
        [0.7, 0.1, 0.1, 0.1],
      ],
    ];
    const logp = tf.log(tf.tensor3d(p));
    const d = decodeSteps(logp, END);
    expect(d).toHaveLength(2);
    expect(d[0]!.ids).toEqual([1, 0]);
    expect(d[0]!.probs.map((x) => +x.toFixed(5))).toEqual([0.5, 0.8]);
    expect(textOf(d[0]!, enc)).toEqual({ text: 'ba', confidence: expect.closeTo(0.5 * 0.8 * 0.9, 5) });
    expect(textOf(d[1]!, enc)).toEqual({ text: '', confidence: expect.closeTo(0.6, 5) });
    // the inference table: the given tokens, not the argmax (beam search may pick others)
    const tokens = tf.tensor2d(
      [
        [2, 0, END, 1],
        [0, 0, 0, 0],
      ],
      [2, 4],
      'int32',
    );
    const t = decodeSteps([logp, tokens], END);
    expect(textOf(t[0]!, enc)).toEqual({ text: 'ca', confidence: expect.closeTo(0.2 * 0.8 * 0.9, 5) });
    // no end within the steps: every step counts
    expect(textOf(t[1]!, enc)).toEqual({ text: 'aaaa', confidence: expect.closeTo(0.2 * 0.25 * 0.25 * 0.7, 5) });
    tf.dispose([logp, tokens]);
  });

  it("sets the model's beam width for evaluation and prediction, and refuses a beam for a model without one", () => {
    const task = seq2seqTask(END);
    const model = { typeName: 'EncoderDecoder', beamWidth: 1 } as unknown as Module;
    task.configureModel!(model, { beam: 4 });
    expect((model as unknown as { beamWidth: number }).beamWidth).toBe(4);
    task.configureModel!(model, undefined);
    expect((model as unknown as { beamWidth: number }).beamWidth).toBe(1);
    expect(() => task.configureModel!({ typeName: 'Sequential' } as unknown as Module, { beam: 2 })).toThrow(
      '--beam 2: this seq2seq model (Sequential) has no beam search',
    );
  });

  it('is restored from its spec', () => {
    const task = seq2seqTask(END);
    expect(task.spec).toEqual({ name: 'seq2seq', end: END });
    expect(taskFromSpec(JSON.parse(JSON.stringify(task.spec))).spec).toEqual(task.spec);
    expect(() => seq2seqTask(0)).toThrow('seq2seqTask: end');
  });
});
