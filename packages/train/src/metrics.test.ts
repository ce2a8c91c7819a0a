import { ready, tf } from '@captcha-nn/core';
import { LabelEncoder } from '@captcha-nn/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccuracyMeter, type Reading } from './metrics';
import { textTask } from './task';

const enc = new LabelEncoder('abcd');
/** A reading of `text` (probabilities unused by the meter). */
const reading = (text: string): Reading => ({ ids: Array.from(enc.encode(text, text.length)), probs: [...text].map(() => 1), confidence: 1 });

describe('AccuracyMeter', () => {
  it('scores whole labels, positions, CER, lengths and the edits of an alignment (hand-computed)', () => {
    const m = new AccuracyMeter(enc);
    // truth → read: right; one substitution; one missed character; one extra; right (length 2)
    m.add([reading('abcd'), reading('abca'), reading('acd')], ['abcd', 'abcd', 'abcd']);
    m.add([reading('abcdd'), reading('ab')], ['abcd', 'ab']);
    expect(m.count).toBe(5);
    expect(m.captchaAccuracy).toBeCloseTo(2 / 5, 12);
    // positions: abcd 4/4, abca 3/4, acd 1/4 (a right, then c≠b, d≠c, nothing≠d), abcdd 4/4, ab 2/2
    expect(m.charAccuracy).toBeCloseTo(14 / 18, 12);
    expect(m.perPosition()).toEqual([1, 4 / 5, 3 / 4, 2 / 4]);
    expect(m.cer).toBeCloseTo(3 / 18, 12);
    expect(m.byLength()).toEqual([
      { length: 2, count: 1, accuracy: 1 },
      { length: 4, count: 4, accuracy: 1 / 4 },
    ]);
    expect(m.confusions()).toEqual([
      { truth: 'b', predicted: '', count: 1 },
      { truth: '', predicted: 'd', count: 1 },
      { truth: 'd', predicted: 'a', count: 1 },
    ]);
  });

  it('rejects a batch whose readings and labels differ in number', () => {
    expect(() => new AccuracyMeter(enc).add([reading('ab')], ['ab', 'cd'])).toThrow(/AccuracyMeter: 1 readings for 2 labels/);
  });
});

describe('textTask.decode', () => {
  beforeAll(() => ready());
  it('reads up to the first blank; the confidence is the product over every position', () => {
    // 1 sample, 3 positions, classes a b c d + blank (4): reads b, then the blank, then a (ignored).
    const p = [
      [0.1, 0.6, 0.1, 0.1, 0.1],
      [0.1, 0.1, 0.1, 0.2, 0.5],
      [0.7, 0.1, 0.1, 0.05, 0.05],
    ];
    const x = tf.log(tf.tensor3d([p]));
    const [r] = textTask('tensor').decode(x);
    expect(r!.ids).toEqual([1]);
    expect(r!.probs[0]).toBeCloseTo(0.6, 5);
    expect(r!.confidence).toBeCloseTo(0.6 * 0.5 * 0.7, 5);
    expect(() => textTask('tensor').decode(x, { beam: 3 })).toThrow(/--beam 3: beam search applies to CTC and seq2seq models/);
    x.dispose();
  });
});
