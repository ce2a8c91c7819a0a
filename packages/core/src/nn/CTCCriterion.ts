import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import { ModuleError } from '../util/errors';
import { type CriterionSpec, specOf } from '../util/moduleSpec';
import { extended, forwardVariables } from '../util/ctcForward';
import { logAddExp, readSequenceScores, type SequenceScores } from '../util/sequenceInput';
import { Criterion, type Target } from './Criterion';

/**
 * CTCCriterion's target: each sample's label sequence (0-based class ids,
 * no blanks, any length, 0 included) and, optionally, how many of the T
 * steps belong to each sample (default T for all).
 */
export interface CTCTarget {
  labels: ArrayLike<number>[];
  inputLengths?: ArrayLike<number>;
}

export type CTCReduction = 'mean' | 'sum' | 'none';

export interface CTCCriterionOptions {
  /** The blank's class id (default 0, as PyTorch). */
  blank?: number;
  /** 'mean' (default), 'sum' or 'none', as PyTorch's `reduction`. */
  reduction?: CTCReduction;
  /** Impossible samples give loss 0 (and gradient 0) instead of +∞ (default false). */
  zeroInfinity?: boolean;
  /** Input [N, T, C] instead of [T, N, C] (default false). */
  batchFirst?: boolean;
}

const REDUCTIONS: readonly CTCReduction[] = ['mean', 'sum', 'none'];

/**
 * Connectionist temporal classification loss (Graves et al. 2006), PyTorch's
 * `F.ctc_loss(logProbs, targets, inputLengths, targetLengths, blank,
 * reduction, zeroInfinity)` as a Torch criterion (Torch7's `nn.CTCCriterion`
 * was a binding of warp-ctc).
 *
 * Args:
 *   blank, reduction, zeroInfinity: as PyTorch. 'mean' divides each sample's
 *     loss by its label length (at least 1), then averages over the batch.
 *     'none': a Criterion's loss is one number, so `forward` returns the sum
 *     of the N losses (and `backward` its gradient, as PyTorch's
 *     `loss.sum().backward()`); `losses` holds the N values.
 *   batchFirst: take [N, T, C] input.
 *
 * Shapes: input [T, N, C] log-probabilities (a LogSoftMax over C; time-major,
 * as Sequencer's output); target `{ labels, inputLengths? }` (a `CTCTarget`),
 * or the labels alone (number[][]).
 *
 * `losses` holds each sample's −log p(label | input) after `forward` (0 for an
 * impossible one with zeroInfinity). An impossible sample (a label that
 * needs more steps than its input has, one more per repeated pair) has loss
 * +∞ and contributes gradient 0, with or without zeroInfinity (PyTorch's is
 * NaN without it).
 *
 * The gradient is d loss / d logProbs, −(occupancy of each class and step)
 * scaled by the reduction. PyTorch's kernel returns exp(logProbs) − occupancy
 * instead, which assumes the input is normalised: the two agree after
 * LogSoftMax's backward, that is with respect to the logits.
 */
export class CTCCriterion extends Criterion {
  readonly typeName = 'CTCCriterion';
  readonly blank: number;
  readonly reduction: CTCReduction;
  readonly zeroInfinity: boolean;
  readonly batchFirst: boolean;
  /** Each sample's loss, from the last forward. */
  losses: number[] = [];

  constructor(options: CTCCriterionOptions = {}) {
    super();
    const { blank = 0, reduction = 'mean', zeroInfinity = false, batchFirst = false } = options;
    if (!Number.isInteger(blank) || blank < 0) throw new RangeError(`CTCCriterion: blank must be a non-negative integer, got ${blank}`);
    if (!REDUCTIONS.includes(reduction)) throw new RangeError(`CTCCriterion: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
    this.blank = blank;
    this.reduction = reduction;
    this.zeroInfinity = zeroInfinity;
    this.batchFirst = batchFirst;
  }

  override get batchReduction(): 'mean' | 'sum' {
    return this.reduction === 'mean' ? 'mean' : 'sum';
  }

  override toSpec(): CriterionSpec {
    return specOf(this.typeName, [{ blank: this.blank, reduction: this.reduction, zeroInfinity: this.zeroInfinity, batchFirst: this.batchFirst }]);
  }

  protected loss(input: Activity, target: Target): Tensor {
    const { labels, inputLengths } = this.readTarget(target);
    // Every check comes before the first op: under a gradient tape, tensors
    // saved for the backward pass of ops already run would leak on a throw.
    const x = readSequenceScores(this.typeName, input, this.batchFirst, inputLengths);
    this.checkLabels(labels, x);
    const { blank, zeroInfinity } = this;
    // The α/β recursions run on the CPU in float64: as tfjs ops they would be
    // T sequential steps of tiny kernels, and float64 log-sum-exps keep the
    // occupancies accurate over long inputs (T in the hundreds).
    const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
      const xi = args[0] as Tensor;
      const logLik = labels.map((l, n) => forwardVariables(x, n, l, blank).logLik);
      const losses = logLik.map((ll) => (ll === -Infinity && zeroInfinity ? 0 : 0 - ll)); // 0 − 0 is +0, −0 is not
      this.losses = losses;
      return {
        value: tf.tensor1d(losses),
        gradFunc: (dy: Tensor) => {
          const d = dy.dataSync();
          const g = new Float32Array(x.data.length);
          labels.forEach((l, n) => {
            if (logLik[n] !== -Infinity && d[n] !== 0) addGradient(x, n, l, blank, d[n], g);
          });
          return tf.tensor(g, xi.shape, 'float32');
        },
      };
    });
    const perSample = op(input as Tensor) as Tensor;
    if (this.reduction !== 'mean') return tf.sum(perSample);
    return tf.mean(tf.div(perSample, tf.tensor1d(labels.map((l) => Math.max(1, l.length)))));
  }

  private readTarget(target: Target): CTCTarget {
    if (Array.isArray(target) && target.every((l) => Array.isArray(l) || ArrayBuffer.isView(l))) return { labels: target as number[][] };
    const t = target as Partial<CTCTarget>;
    if (t !== null && typeof t === 'object' && !(t instanceof tf.Tensor) && Array.isArray(t.labels)) return t as CTCTarget;
    throw new ModuleError(this.typeName, 'expected a target { labels: number[][], inputLengths?: number[] } or the labels alone (number[][])');
  }

  /** Labels: one sequence per sample, class ids in [0, C) other than the blank. */
  private checkLabels(labels: ArrayLike<number>[], x: SequenceScores): void {
    if (labels.length !== x.N) throw new ModuleError(this.typeName, `expected ${x.N} label sequences (the batch size), got ${labels.length}`);
    if (this.blank >= x.C) throw new ModuleError(this.typeName, `blank ${this.blank} is out of bounds: expected a class index in [0, ${x.C - 1}] (C = ${x.C})`);
    labels.forEach((l, n) => {
      for (let i = 0; i < l.length; i++) {
        const v = l[i];
        if (!Number.isInteger(v) || v < 0 || v >= x.C || v === this.blank)
          throw new ModuleError(
            this.typeName,
            `label ${v} of sample ${n} is out of bounds: expected a class index in [0, ${x.C - 1}] (C = ${x.C}) other than the blank ${this.blank}`,
          );
      }
    });
  }

  override toString(): string {
    return `nn.${this.typeName}`;
  }
}

/**
 * Adds `scale ·` d(−log p(label | input)) / d logProbs of sample n into `g`
 * (laid out as x.data): −Σ_s α_t(s) β_t(s) / (y_t(ext[s]) p) over the states s
 * of each class.
 */
function addGradient(x: SequenceScores, n: number, label: ArrayLike<number>, blank: number, scale: number, g: Float32Array): void {
  const { alpha, logLik } = forwardVariables(x, n, label, blank);
  if (logLik === -Infinity) return;
  const T = x.lengths[n];
  const ext = extended(label, blank);
  const S = ext.length;
  const { data } = x;
  const beta = new Float64Array(T * S).fill(-Infinity);
  let o = x.offset(T - 1, n);
  beta[(T - 1) * S + S - 1] = data[o + ext[S - 1]];
  if (S > 1) beta[(T - 1) * S + S - 2] = data[o + ext[S - 2]];
  for (let t = T - 2; t >= 0; t--) {
    o = x.offset(t, n);
    const next = (t + 1) * S;
    for (let s = 0; s < S; s++) {
      let b = beta[next + s];
      if (s < S - 1) b = logAddExp(b, beta[next + s + 1]);
      if (s < S - 2 && ext[s] !== ext[s + 2]) b = logAddExp(b, beta[next + s + 2]);
      beta[t * S + s] = b + data[o + ext[s]];
    }
  }
  const occupancy = new Float64Array(x.C);
  for (let t = 0; t < T; t++) {
    o = x.offset(t, n);
    occupancy.fill(0);
    for (let s = 0; s < S; s++) {
      const a = alpha[t * S + s];
      const b = beta[t * S + s];
      if (a === -Infinity || b === -Infinity) continue;
      occupancy[ext[s]] += Math.exp(a + b - data[o + ext[s]] - logLik);
    }
    for (let k = 0; k < x.C; k++) if (occupancy[k] !== 0) g[o + k] -= scale * occupancy[k];
  }
}
