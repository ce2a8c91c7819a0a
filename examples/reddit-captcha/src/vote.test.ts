import { describe, expect, it } from 'vitest';
import { voteText } from './vote';

const lp = (...p: number[]) => Float32Array.from(p.map(Math.log));

describe('voteText', () => {
  it('picks, per position, the class with the largest sum of log-probabilities', () => {
    // Two positions, three classes. Position 0: two renders lean to class 1, one is sure of class 2.
    const renders = [lp(0.3, 0.4, 0.3, 0.1, 0.1, 0.8), lp(0.3, 0.4, 0.3, 0.1, 0.8, 0.1), lp(0.01, 0.01, 0.98, 0.1, 0.1, 0.8)];
    // Sums at position 0: log(.3*.3*.01), log(.4*.4*.01), log(.3*.3*.98): class 2 wins though a majority voted 1.
    expect(Array.from(voteText(renders, 2, 3)!)).toEqual([2, 2]);
    expect(Array.from(voteText(renders.slice(0, 2), 2, 3)!)).toEqual([1, 1]);
  });

  it('leaves out renders that failed segmentation, and gives no answer when all did', () => {
    expect(Array.from(voteText([null, lp(0.2, 0.8), null], 1, 2)!)).toEqual([1]);
    expect(voteText([null, null], 1, 2)).toBeNull();
    expect(voteText([], 1, 2)).toBeNull();
  });

  it('rejects a render of another shape', () => {
    expect(() => voteText([lp(0.5, 0.5, 0.5)], 2, 2)).toThrow(/3 log-probabilities, expected 2x2/);
  });
});
