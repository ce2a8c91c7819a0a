/**
 * The task of encoder–decoder models that write a text one character at a
 * time and then an end symbol (examples/seq2seq-captcha's `seq2seq` and
 * `attention`). Training feeds the labels back in (teacher forcing) through
 * `Task.input`; evaluation and prediction feed the image alone and the model
 * decodes with its own predictions.
 */
import { ClassNLLCriterion, tf, type Activity, type Tensor } from '@captcha-nn/core';
import { AccuracyMeter, type Decoded } from './metrics';
import type { Task } from './task';

/** Targets that count for nothing: the steps after the end symbol. */
export const SEQ2SEQ_IGNORE = -1;

/**
 * The model's tokens: classes 0…end−1 are characters, `end` (the label
 * encoder's blank) ends the text, `end + 1` starts it (GO, only an input).
 */
export interface Seq2seqSpec {
  name: 'seq2seq';
  end: number;
}

/** [N, L] blank-padded labels with an end column appended: [N, L + 1]. */
function withEnd(y: Tensor, end: number): Tensor {
  return tf.concat([tf.cast(y, 'int32'), tf.fill([y.shape[0]!, 1], end, 'int32')], 1);
}

/**
 * The decoder's input tokens of a batch: GO, then the label's characters,
 * [N, L + 1] (the tokens after the end symbol are never scored).
 */
export function previousTokens(y: Tensor, end: number): Tensor {
  return tf.tidy(() => tf.concat([tf.fill([y.shape[0]!, 1], end + 1, 'int32'), tf.cast(y, 'int32')], 1));
}

/** Per-step targets [N, L + 1]: the characters, the end symbol, then SEQ2SEQ_IGNORE. */
export function stepTargets(y: Tensor, end: number): Tensor {
  return tf.tidy(() => {
    const yy = withEnd(y, end);
    const ends = tf.cumsum(tf.cast(tf.equal(yy, end), 'int32'), 1);
    return tf.where(tf.greater(ends, 1), tf.fill(yy.shape, SEQ2SEQ_IGNORE, 'int32'), yy);
  });
}

/**
 * Tokens and their probabilities: the model's `[logProbs, tokens]` table
 * (inference), or the argmax of [N, T, V] log-probabilities (teacher-forced
 * training output). After the first end symbol the tokens are the end
 * symbol and the probabilities 1, so the product of the probabilities is
 * the probability of the text and its end.
 */
export function decodeSteps(output: Activity, end: number): Decoded {
  const [tok, pr] = tf.tidy(() => {
    const logp = (Array.isArray(output) ? output[0] : output) as Tensor;
    const tokens = Array.isArray(output) ? (output[1] as Tensor) : tf.cast(tf.argMax(logp, -1), 'int32');
    const V = logp.shape[2]!;
    const p = tf.exp(tf.sum(tf.mul(logp, tf.cast(tf.oneHot(tokens, V), 'float32')), -1));
    return [tokens, p];
  });
  try {
    const [n, length] = tok.shape as [number, number];
    const classes = Int32Array.from(tok.dataSync() as Int32Array);
    const probs = Float32Array.from(pr.dataSync() as Float32Array);
    for (let i = 0; i < n; i++) {
      let ended = false;
      for (let k = i * length; k < (i + 1) * length; k++) {
        if (ended) {
          classes[k] = end;
          probs[k] = 1;
        } else if (classes[k] === end) ended = true;
      }
    }
    return { n, length, classes, probs };
  } finally {
    tok.dispose();
    pr.dispose();
  }
}

/**
 * Text written by a decoder: the criterion is ClassNLLCriterion over the
 * L + 1 steps ([N, L + 1, V] log-probabilities), the steps after the end
 * symbol ignored; `end` is the label encoder's blank (numClasses − 1).
 */
export function seq2seqTask(end: number): Task {
  if (!Number.isInteger(end) || end < 1) throw new RangeError(`seq2seqTask: end must be the blank's class index (>= 1), got ${end}`);
  return {
    spec: { name: 'seq2seq', end },
    criterion: new ClassNLLCriterion(undefined, true, SEQ2SEQ_IGNORE),
    input: (x, y) => [x, previousTokens(y, end)],
    target: (y) => stepTargets(y, end),
    disposeTarget: (t) => (t as Tensor).dispose(),
    decode: (out) => decodeSteps(out, end),
    meter: (encoder) => new AccuracyMeter(encoder),
  };
}
