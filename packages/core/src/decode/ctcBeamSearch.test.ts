import type { Tensor } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../tf';
import { ModuleError } from '../util/errors';
import { ctcBeamSearch } from './ctcBeamSearch';
import { ctcGreedy } from './ctcGreedy';

/**
 * Every labelling's exact probability for sample n of [T, N, C]
 * log-probabilities `lp` (flat, time-major), by summing over all C^T paths.
 */
function labellings(lp: Float32Array, T: number, N: number, C: number, n: number, blank: number): Map<string, number> {
  const out = new Map<string, number>();
  const path = new Array<number>(T).fill(0);
  const visit = (t: number, logP: number) => {
    if (t === T) {
      const key = path.filter((k, i) => k !== blank && (i === 0 || k !== path[i - 1])).join(',');
      out.set(key, (out.get(key) ?? 0) + Math.exp(logP));
      return;
    }
    for (let k = 0; k < C; k++) {
      path[t] = k;
      visit(t + 1, logP + (lp[(t * N + n) * C + k] ?? Number.NaN));
    }
  };
  visit(0, 0);
  return out;
}

function mostProbable(m: Map<string, number>): [string, number] {
  return [...m].reduce((a, b) => (b[1] > a[1] ? b : a));
}

describe('ctcBeamSearch', () => {
  // 150 samples of 6 steps over a blank and 2 labels, flat enough that the best path often misses the best labelling.
  const [T, N, C] = [6, 150, 3];
  let x: Tensor;
  let exact: [string, number][];
  beforeAll(() => {
    x = tf.tidy(() => tf.logSoftmax(tf.randomNormal([T, N, C], 0, 1, 'float32', 11), -1));
    const lp = x.dataSync() as Float32Array;
    exact = Array.from({ length: N }, (_, n) => mostProbable(labellings(lp, T, N, C, n, 0)));
  });
  afterAll(() => x.dispose());
  const key = (ids: number[]) => ids.join(',');

  it('with a beam wide enough for every prefix, finds the most probable labelling and its exact probability', () => {
    const before = tf.memory().numTensors;
    const wide = ctcBeamSearch(x, { beamWidth: 1000, minProb: 0 });
    expect(tf.memory().numTensors).toBe(before);
    wide.forEach((r, n) => {
      expect(key(r.ids)).toBe(exact[n][0]);
      expect(r.confidence).toBeCloseTo(exact[n][1], 5);
    });
  });

  it('is at least as accurate as greedy decoding, and better where the best path misses the best labelling', () => {
    const greedy = ctcGreedy(x);
    const beam = ctcBeamSearch(x, { beamWidth: 4 });
    const right = (rs: { ids: number[] }[]) => rs.filter((r, n) => key(r.ids) === exact[n][0]).length;
    expect(right(greedy)).toBeLessThan(N); // the set has cases where the best path is wrong
    expect(right(beam)).toBeGreaterThan(right(greedy));
    beam.forEach((r, n) => {
      // the labelling's summed probability is never below its best path's
      expect(r.confidence).toBeGreaterThanOrEqual(greedy[n].confidence * (1 - 1e-6));
    });
  });

  it('with width 1 equals greedy where each step has a class of probability ≥ 0.95', () => {
    // Then the best path holds over half the mass for T ≤ 12 (0.95^12 > 0.5), so its collapse
    // outweighs every other prefix at each step. Not in general: a width-1 beam sums paths, greedy does not.
    const [Tp, Np, Cp] = [12, 100, 5];
    const peaked = tf.tidy(() => {
      const rest = tf.softmax(tf.randomNormal([Tp, Np, Cp], 0, 1, 'float32', 12), -1).mul(0.04);
      const top = tf
        .oneHot(tf.randomUniform([Tp, Np], 0, Cp, 'int32', 13), Cp)
        .cast('float32')
        .mul(0.96);
      return tf.log(rest.add(top));
    });
    const one = ctcBeamSearch(peaked, { beamWidth: 1 });
    const greedy = ctcGreedy(peaked);
    expect(one.map((r) => r.ids)).toEqual(greedy.map((r) => r.ids));
    // Skipping classes below 0.001 (the default) or 0.01 changes no reading here; keeping all (0) is the reference.
    const all = ctcBeamSearch(peaked, { beamWidth: 8, minProb: 0 });
    for (const minProb of [undefined, 0.01]) {
      const pruned = ctcBeamSearch(peaked, { beamWidth: 8, ...(minProb ? { minProb } : {}) });
      expect(pruned.map((r) => r.ids)).toEqual(all.map((r) => r.ids));
      // The paths of the skipped classes are missing from the sums, a little of the mass.
      pruned.forEach((r, n) => expect(Math.abs(r.confidence - all[n]!.confidence)).toBeLessThan(0.02));
    }
    expect(new Set(greedy.map((r) => r.ids.length)).size).toBeGreaterThan(2); // not trivial labellings
    peaked.dispose();
  });

  it('takes a blank at any id, input lengths, batchFirst and a charset', () => {
    const sub = tf.tidy(() => x.slice([0, 0, 0], [T, 4, C]));
    const bf = sub.transpose([1, 0, 2]);
    const opts = { blank: 1, inputLengths: [6, 4, 1, 0], beamWidth: 1000, minProb: 0, charset: 'xy' };
    const got = ctcBeamSearch(sub, opts);
    expect(ctcBeamSearch(bf, { ...opts, batchFirst: true })).toEqual(got);
    const data = sub.dataSync() as Float32Array;
    got.forEach((r, n) => {
      // the exact labelling over the first inputLengths[n] steps (the data is time-major, so a prefix of steps)
      const [best, p] = mostProbable(labellings(data, opts.inputLengths[n] ?? 0, 4, C, n, 1));
      expect(key(r.ids)).toBe(best);
      expect(r.confidence).toBeCloseTo(p, 5);
      expect(r.text).toBe(r.ids.map((k) => (k === 0 ? 'x' : 'y')).join(''));
    });
    expect(got[3]).toEqual({ ids: [], text: '', confidence: 1 });
    tf.dispose([sub, bf]);
  });

  it('with a length, finds the most probable labelling of that length and its exact probability', () => {
    const lp = x.dataSync() as Float32Array;
    for (const length of [
      { min: 3, max: 3 },
      { min: 2, max: 4 },
    ]) {
      const got = ctcBeamSearch(x, { beamWidth: 1000, minProb: 0, length });
      let differs = 0;
      got.forEach((r, n) => {
        const all = labellings(lp, T, N, C, n, 0);
        const fits = new Map(
          [...all].filter(([k]) => {
            const l = k === '' ? 0 : k.split(',').length;
            return l >= length.min && l <= length.max;
          }),
        );
        const [best, p] = mostProbable(fits);
        expect(key(r.ids)).toBe(best);
        expect(r.confidence).toBeCloseTo(p, 5);
        if (best !== exact[n][0]) differs++;
      });
      expect(differs).toBeGreaterThan(0); // the length changed some readings
    }
    // A narrow beam still returns a labelling of the length.
    for (const r of ctcBeamSearch(x, { beamWidth: 2, length: { min: 4, max: 4 } })) expect(r.ids).toHaveLength(4);
  });

  it('rejects a bad beam width or blank, naming the decoder', () => {
    expect(() => ctcBeamSearch(x, { beamWidth: 0 })).toThrow(/ctcBeamSearch: beamWidth must be a positive integer/);
    expect(() => ctcBeamSearch(x, { blank: 3 })).toThrow(ModuleError);
    expect(() => ctcBeamSearch(x, { blank: 3 })).toThrow(/ctcBeamSearch: blank 3 is out of bounds/);
    expect(() => ctcBeamSearch(x, { length: { min: 7, max: 7 } })).toThrow(/ctcBeamSearch: sample 0 has 6 steps, too few for 7 characters/);
    expect(() => ctcBeamSearch(x, { length: { min: 3, max: 2 } })).toThrow(/ctcBeamSearch: length must be whole numbers with 0 <= min <= max/);
    expect(() => ctcBeamSearch(x, { minProb: 1 })).toThrow(/ctcBeamSearch: minProb must be in \[0, 1\), got 1/);
  });
});
