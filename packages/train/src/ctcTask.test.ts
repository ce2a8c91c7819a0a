import { ready, tf } from '@captcha-nn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ctcLabelProblem, ctcStepsNeeded, ctcTask, describeCtcReading } from './ctcTask';
import { checkDecodeOptions } from './task';
import { taskFromSpec } from './taskFromSpec';

beforeAll(() => ready());

// One sample, 5 steps, classes a=0, b=1 and the blank=2; the best path is a a blank a b.
const probs = [
  [0.7, 0.1, 0.2],
  [0.6, 0.2, 0.2],
  [0.1, 0.1, 0.8],
  [0.5, 0.4, 0.1],
  [0.1, 0.6, 0.3],
];

describe('ctcTask', () => {
  it('with a readLength reads those lengths by default; a length given overrides it, and any reads greedily', () => {
    const task = ctcTask({ blank: 2, readLength: { min: 2, max: 2 } });
    const free = ctcTask({ blank: 2 });
    const x = tf.log(tf.transpose(tf.tensor3d([probs]), [1, 0, 2]));
    // Greedy reads the best path's "aab"; two characters: "ab".
    expect(free.decode(x)[0]!.ids).toEqual([0, 0, 1]);
    expect(task.decode(x)[0]!.ids).toEqual([0, 1]);
    expect(task.decode(x, { beam: 3 })[0]!.ids).toEqual([0, 1]);
    expect(task.decode(x, { length: { min: 3, max: 3 } })[0]!.ids).toEqual([0, 0, 1]);
    expect(task.decode(x, { length: 'any' })).toEqual(free.decode(x));
    expect(task.spec).toEqual({ name: 'ctc', blank: 2, readLength: { min: 2, max: 2 } });
    expect(taskFromSpec(task.spec).decode(x)[0]!.ids).toEqual([0, 1]);
    expect(describeCtcReading(task.spec, undefined)).toBe(
      'beam search of 10, 2 characters, the lengths of its training labels (--text-length any: any length)',
    );
    expect(describeCtcReading(task.spec, { length: 'any' })).toBe('greedy, any length');
    expect(describeCtcReading(task.spec, { length: { min: 4, max: 6 }, beam: 3 })).toBe('beam search of 3, 4 to 6 characters');
    expect(describeCtcReading(free.spec, undefined)).toBe('greedy, any length');
    expect(() => ctcTask({ blank: 2, readLength: { min: 0, max: 3 } })).toThrow(
      /ctcTask: readLength must be whole numbers with 1 <= min <= max, got \{"min":0,"max":3\}/,
    );
    x.dispose();
  });

  it('targets are the labels without the blank padding, as number[][]', () => {
    const task = ctcTask({ blank: 2, steps: 5 });
    const y = tf.tensor2d(
      [
        [0, 1, 2],
        [1, 2, 2],
        [2, 2, 2],
      ],
      undefined,
      'int32',
    );
    expect(task.target(y)).toEqual([[0, 1], [1], []]);
    y.dispose();
  });

  it('greedy: the best path collapsed, its probability, each character its peak; beam: the summed probability', () => {
    const task = ctcTask({ blank: 2 });
    const x = tf.log(tf.transpose(tf.tensor3d([probs]), [1, 0, 2]));
    const [g] = task.decode(x);
    expect(g!.ids).toEqual([0, 0, 1]);
    expect(g!.confidence).toBeCloseTo(0.7 * 0.6 * 0.8 * 0.5 * 0.6, 6);
    expect(g!.probs.map((p) => Number(p.toFixed(6)))).toEqual([0.7, 0.5, 0.6]);
    // The beam finds "ab" more probable than the best path's "aab" (its paths sum to more); its best
    // alignment is a a blank b b, so b peaks at 0.6.
    const [b] = task.decode(x, { beam: 16 });
    expect(b!.ids).toEqual([0, 1]);
    expect(b!.confidence).toBeGreaterThan(g!.confidence);
    expect(b!.probs.map((p) => Number(p.toFixed(6)))).toEqual([0.7, 0.6]);
    expect(() => task.decode(tf.zeros([2, 3]))).toThrow(/ctcTask: expected the model's output to be \[T, N, C\] log-probabilities, got \[2,3\]/);
    x.dispose();
  });

  it('with a text length reads the most probable text of that length, by beam search', () => {
    const task = ctcTask({ blank: 2 });
    const x = tf.log(tf.transpose(tf.tensor3d([probs]), [1, 0, 2]));
    // Unconstrained the beam reads "ab"; three characters: the best path's "aab"; four: "abab" or the like, never shorter.
    expect(task.decode(x, { length: { min: 3, max: 3 } })[0]!.ids).toEqual([0, 0, 1]);
    expect(task.decode(x, { length: { min: 2, max: 2 } })[0]!.ids).toEqual([0, 1]);
    expect(task.decode(x, { length: { min: 4, max: 5 } })[0]!.ids.length).toBeGreaterThanOrEqual(4);
    expect(() => task.decode(x, { length: { min: 6, max: 6 } })).toThrow(/ctcBeamSearch: sample 0 has 5 steps, too few for 6 characters/);
    expect(() => task.decode(x, { length: { min: 0, max: 2 } })).toThrow(/--text-length must be whole numbers with 1 <= min <= max/);
    expect(() => checkDecodeOptions({ name: 'text', format: 'tensor' }, { length: { min: 5, max: 5 } })).toThrow(
      /--text-length: reading a given number of characters applies to CTC models; this model's task is text/,
    );
    x.dispose();
  });

  it('counts the steps a label needs and names a label too long for T', () => {
    expect(ctcStepsNeeded([...'abba'])).toEqual({ needed: 5, repeats: 1 });
    expect(ctcLabelProblem('abba', 5)).toBeUndefined();
    expect(ctcLabelProblem('abba', 4)).toBe(
      'label "abba" needs 5 CTC time steps (4 characters + 1 repeated pair), but the model has T = 4 (make the images wider, or use shorter labels)',
    );
    expect(ctcTask({ blank: 2, steps: 4 }).labelProblem?.('aab')).toBeUndefined();
    expect(ctcTask({ blank: 2 }).labelProblem).toBeUndefined();
  });

  it('is restored from its spec; bad options are refused', () => {
    const t = taskFromSpec({ name: 'ctc', blank: 7, steps: 40 });
    expect(t.spec).toEqual({ name: 'ctc', blank: 7, steps: 40 });
    expect((t.criterion as unknown as { blank: number }).blank).toBe(7);
    expect(() => ctcTask({ blank: -1 })).toThrow(/ctcTask: blank must be a non-negative integer/);
    expect(() => taskFromSpec({ name: 'ctc' } as never)).toThrow(/unknown task/);
  });
});
