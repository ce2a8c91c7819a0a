/**
 * The task of encoder–decoder models that write a text one character at a
 * time and then an end symbol (examples/seq2seq-captcha's `seq2seq` and
 * `attention`). Training feeds the labels back in (teacher forcing) through
 * `Task.input`; evaluation and prediction feed the image alone and the model
 * decodes with its own predictions.
 */
import { ClassNLLCriterion, tf, type Activity, type Tensor } from '@captcha-nn/core';
import { AccuracyMeter, type Decoded, type Reading } from './metrics';
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
 * Readings of a decoder's output: the model's `[logProbs, tokens]` table
 * (inference: greedy or beam search), or the argmax of [N, T, V]
 * log-probabilities (teacher-forced training output). A reading is the
 * tokens before the first end symbol; its confidence is the probability
 * of those characters and the end (all T steps' when no end came).
 */
export function decodeSteps(output: Activity, end: number): Decoded {
  const [tok, pr] = tf.tidy(() => {
    const logp = (Array.isArray(output) ? output[0] : output) as Tensor;
    if (!(logp instanceof tf.Tensor) || logp.rank !== 3)
      throw new Error(`seq2seqTask: expected [N, T, V] log-probabilities, got ${logp instanceof tf.Tensor ? `[${logp.shape}]` : 'a table'}`);
    const tokens = Array.isArray(output) ? tf.cast(output[1] as Tensor, 'int32') : tf.cast(tf.argMax(logp, -1), 'int32');
    const V = logp.shape[2]!;
    return [tokens, tf.exp(tf.sum(tf.mul(logp, tf.cast(tf.oneHot(tokens, V), 'float32')), -1))];
  });
  try {
    const [n, T] = tok.shape as [number, number];
    const classes = tok.dataSync() as Int32Array;
    const probs = pr.dataSync() as Float32Array;
    return Array.from({ length: n }, (_, i): Reading => {
      const ids: number[] = [];
      const ps: number[] = [];
      let confidence = 1;
      for (let k = i * T; k < (i + 1) * T; k++) {
        confidence *= probs[k]!;
        if (classes[k] === end) break;
        ids.push(classes[k]!);
        ps.push(probs[k]!);
      }
      return { ids, probs: ps, confidence };
    });
  } finally {
    tok.dispose();
    pr.dispose();
  }
}

/** A model that decodes itself (EncoderDecoder): its beam width, 1 for greedy. */
interface BeamModel {
  beamWidth: number;
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
    configureModel: (model, options) => {
      const beam = options?.beam ?? 1;
      if (!('beamWidth' in model)) {
        if (beam > 1) throw new Error(`--beam ${beam}: this seq2seq model (${model.typeName}) has no beam search`);
        return;
      }
      (model as unknown as BeamModel).beamWidth = beam;
    },
    meter: (encoder) => new AccuracyMeter(encoder),
  };
}
