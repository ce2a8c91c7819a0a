import { describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { ModuleError, ShapeError } from '../util/errors';
import { ctcGreedy } from './ctcGreedy';

// One sample, 5 steps, 3 classes; the best path is 1 1 0 1 2.
const probs = [
  [0.1, 0.7, 0.2],
  [0.2, 0.6, 0.2],
  [0.8, 0.1, 0.1],
  [0.1, 0.5, 0.4],
  [0.3, 0.1, 0.6],
];
const bestPath = 0.7 * 0.6 * 0.8 * 0.5 * 0.6;

describe('ctcGreedy', () => {
  it('merges repeats, then drops blanks; confidence is the best path probability (hand-computed)', () => {
    const x = tf.log(tf.tensor3d([probs]).transpose([1, 0, 2]));
    const before = tf.memory().numTensors;
    const [r] = ctcGreedy(x);
    expect(r.ids).toEqual([1, 1, 2]);
    expect(r.confidence).toBeCloseTo(bestPath, 6);
    expect(r.text).toBeUndefined();
    const [last] = ctcGreedy(x, { blank: 2 });
    expect(last.ids).toEqual([1, 0, 1]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('stops at each input length, and reads [N,T,C] with batchFirst', () => {
    const bf = tf.log(tf.tensor3d([probs, probs.map((p) => [...p].reverse())]));
    const tm = bf.transpose([1, 0, 2]);
    const short = ctcGreedy(tm, { inputLengths: [3, 0] });
    expect(short.map((r) => r.ids)).toEqual([[1], []]);
    expect(short[0].confidence).toBeCloseTo(0.7 * 0.6 * 0.8, 6);
    expect(short[1].confidence).toBe(1);
    expect(ctcGreedy(bf, { batchFirst: true })).toEqual(ctcGreedy(tm));
    expect(ctcGreedy(tm)[1].ids).toEqual([1, 2, 1]); // path 1 1 2 1 0
    tf.dispose([bf, tm]);
  });

  it('spells the labelling with a charset that leaves the blank out, or a function', () => {
    const x = tf.log(tf.tensor3d([probs]).transpose([1, 0, 2]));
    expect(ctcGreedy(x, { charset: 'ab' })[0].text).toBe('aab');
    expect(ctcGreedy(x, { charset: 'ab', blank: 2 })[0].text).toBe('bab');
    expect(ctcGreedy(x, { charset: (ids) => ids.join('-') })[0].text).toBe('1-1-2');
    x.dispose();
  });

  it('rejects a bad input, blank, length or charset, naming the decoder', () => {
    const x = tf.log(tf.tensor3d([probs]).transpose([1, 0, 2]));
    const flat = x.reshape([5, 3]);
    expect(() => ctcGreedy(flat)).toThrow(ShapeError);
    expect(() => ctcGreedy(flat)).toThrow('ctcGreedy: expected input [T,N,C] log-probabilities, got [5,3]');
    expect(() => ctcGreedy(x, { blank: 3 })).toThrow(/ctcGreedy: blank 3 is out of bounds/);
    expect(() => ctcGreedy(x, { inputLengths: [6] })).toThrow(ModuleError);
    expect(() => ctcGreedy(x, { charset: 'abc' })).toThrow(/ctcGreedy: the charset has 3 characters; expected 2/);
    tf.dispose([x, flat]);
  });
});
