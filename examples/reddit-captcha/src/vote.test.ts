import { ctcGreedy, ctcLogLikelihood, setBackend, tf } from '@captcha-nn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ctcReading, positionalReading, voteText } from './vote';

beforeAll(async () => {
  await setBackend('wasm');
});

const lp = (...p: number[]) => Float32Array.from(p.map(Math.log));
const pos = (positions: number, classes: number, ...p: number[]) => positionalReading(lp(...p), positions, classes);

describe('voteText over positional readings', () => {
  it('picks, per position, the class with the largest sum of log-probabilities', () => {
    // Two positions, three classes. Position 0: two renders lean to class 1, one is sure of class 2.
    const renders = [pos(2, 3, 0.3, 0.4, 0.3, 0.1, 0.1, 0.8), pos(2, 3, 0.3, 0.4, 0.3, 0.1, 0.8, 0.1), pos(2, 3, 0.01, 0.01, 0.98, 0.1, 0.1, 0.8)];
    // Sums at position 0: log(.3*.3*.01), log(.4*.4*.01), log(.3*.3*.98): class 2 wins though a majority voted 1.
    expect(Array.from(voteText(renders, 2, 3)!)).toEqual([2, 2]);
    expect(Array.from(voteText(renders.slice(0, 2), 2, 3)!)).toEqual([1, 1]);
    expect(Array.from(renders[1]!.ids)).toEqual([1, 1]);
    expect(renders[0]!.logLikelihood([1, 2])).toBeCloseTo(Math.log(0.4 * 0.8), 6);
  });

  it('leaves out renders that failed segmentation, and gives no answer when all did', () => {
    expect(Array.from(voteText([null, pos(1, 2, 0.2, 0.8), null], 1, 2)!)).toEqual([1]);
    expect(voteText([null, null], 1, 2)).toBeNull();
    expect(voteText([], 1, 2)).toBeNull();
  });

  it('rejects a render of another shape', () => {
    expect(() => pos(2, 2, 0.5, 0.5, 0.5)).toThrow(/3 log-probabilities, expected 2x2/);
    expect(() => voteText([pos(1, 3, 0.2, 0.3, 0.5)], 2, 2)).toThrow(/3 log-probabilities, expected 2x2/);
  });
});

describe('voteText over CTC readings', () => {
  // Three classes, the blank last (2). Four steps each.
  /** A CTC reading of [T, 3] probabilities with its best-path decoding, as wholeImageReader makes them. */
  const reading = (rows: number[][], classes: number, blank: number) => {
    const x = tf.tensor3d([rows.map((r) => r.map(Math.log))]);
    const [d] = ctcGreedy(x, { blank, batchFirst: true });
    x.dispose();
    return ctcReading(lp(...rows.flat()), classes, blank, d!.ids);
  };
  const steps = (...rows: number[][]) => reading(rows, 3, 2);
  // Reads "0 1" and is sure of it.
  const sure01 = () => steps([0.98, 0.01, 0.01], [0.01, 0.01, 0.98], [0.01, 0.98, 0.01], [0.01, 0.01, 0.98]);
  // Reads "0 0" (blank between), but "0 1" is nearly as likely.
  const leans00 = () => steps([0.9, 0.05, 0.05], [0.05, 0.05, 0.9], [0.6, 0.35, 0.05], [0.05, 0.05, 0.9]);

  it("reads each render's best path", () => {
    expect(Array.from(sure01().ids)).toEqual([0, 1]);
    expect(Array.from(leans00().ids)).toEqual([0, 0]);
    expect(sure01().logLikelihood([0, 1])).toBeCloseTo(
      ctcLogLikelihood(lp(0.98, 0.01, 0.01, 0.01, 0.01, 0.98, 0.01, 0.98, 0.01, 0.01, 0.01, 0.98), 3, [0, 1], 2),
      6,
    );
  });

  it('chooses the reading with the largest summed likelihood, not the majority', () => {
    const renders = [leans00(), leans00(), sure01()];
    // The majority reads "0 0", but the sure render finds it far less likely than the others find "0 1".
    const total = (ids: number[]) => renders.reduce((a, r) => a + r.logLikelihood(ids), 0);
    expect(total([0, 1])).toBeGreaterThan(total([0, 0]));
    expect(Array.from(voteText(renders, 2, 3)!)).toEqual([0, 1]);
    expect(Array.from(voteText([leans00(), leans00()], 2, 3)!)).toEqual([0, 0]);
  });

  it("finds a text that is no render's reading by changing one character at a time", () => {
    // Four classes, blank 3; two steps per character (letter, blank). Render A reads "0 1" but leans to 2 at the
    // second letter; render B reads "2 2" but leans to 0 at the first. Together "0 2" is the most likely text.
    const two = (a: number[], b: number[]) => reading([a, [0.01, 0.01, 0.01, 0.97], b, [0.01, 0.01, 0.01, 0.97]], 4, 3);
    const A = two([0.9, 0.03, 0.04, 0.03], [0.03, 0.5, 0.44, 0.03]);
    const B = two([0.44, 0.03, 0.5, 0.03], [0.03, 0.03, 0.91, 0.03]);
    expect(Array.from(A.ids)).toEqual([0, 1]);
    expect(Array.from(B.ids)).toEqual([2, 2]);
    expect(Array.from(voteText([A, B], 2, 4, 3)!)).toEqual([0, 2]);
    // The blank is never tried as a letter (its log-likelihood would throw).
    expect(() => A.logLikelihood([3])).toThrow(/other than the blank 3/);
  });

  it('prefers readings of the expected length, and falls back to any when none has it', () => {
    const one = steps([0.98, 0.01, 0.01], [0.01, 0.01, 0.98], [0.01, 0.01, 0.98], [0.01, 0.01, 0.98]);
    expect(Array.from(one.ids)).toEqual([0]);
    // "0" is far more likely than any two letters to two of the renders, but a text has two letters.
    const answer = voteText([one, one, leans00()], 2, 3)!;
    expect(answer).toHaveLength(2);
    expect(answer[0]).toBe(0);
    expect(Array.from(voteText([one, null], 2, 3)!)).toEqual([0]);
  });
});
