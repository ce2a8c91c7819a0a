/**
 * `EncoderDecoder`: a CNN trunk reads the image into feature columns, an
 * LSTM encoder reads the columns, and an LSTM decoder writes the text one
 * character at a time, then an end symbol. With an attention module the
 * decoder looks at the encoder's outputs at every step; without one it sees
 * only the encoder's last output (the 2016 series' "one vector").
 */
import {
  Container,
  FastLSTM,
  LookupTable,
  ModuleError,
  SeqLSTM,
  ShapeError,
  tf,
  type Activity,
  type BahdanauAttention,
  type LuongAttention,
  type Module,
  type Tensor,
  type Variable,
} from '@captcha-nn/core';

export type AttentionModule = BahdanauAttention | LuongAttention;

/** A greedy decode with the attention weights of each step. */
export interface AttentionTrace {
  /** [N, T] int32 token ids, [N, T, V] log-probabilities, [N, T, S] weights over the S feature columns. */
  tokens: Tensor;
  logProbs: Tensor;
  weights: Tensor;
}

interface Step {
  logp: Tensor;
  state: Tensor[];
  weights?: Tensor;
}

/**
 * An encoder–decoder over images, `EncoderDecoder(maxLength, trunk, encoder, embed, cell, classifier[, attention])`.
 *
 * Tokens: classes 0…V−1 are the classifier's outputs, V−1 being the end
 * symbol (the label encoder's blank); token V is the start symbol (GO),
 * only ever an input. The embedding has V+1 rows.
 *
 * Each decoder step t: context = attention(h_{t−1}, encoder outputs) (or the
 * encoder's last output v); h_t = cell([embed(token_t); context], state);
 * log-probabilities = classifier([h_t; context]). The state starts at (v, 0).
 *
 * Args:
 *   maxLength: the longest text; the decoder runs maxLength + 1 steps.
 *   trunk: image [N,H,W,C] → feature columns [N,S,F].
 *   encoder: a batch-first SeqLSTM(F → H).
 *   embed: LookupTable(V+1 → E).
 *   cell: FastLSTM(E + H → H).
 *   classifier: [N, 2H] → [N, V] log-probabilities (Linear, LogSoftMax).
 *   attention: optional, query H, keys H (Bahdanau or Luong).
 *
 * Input and output:
 * - `{image, previous}` (training, teacher forcing): previous [N, T] int32
 *   tokens (GO then the label's characters); output [N, T, V] log-probabilities.
 * - image alone (inference): the decoder feeds back its own predictions for
 *   maxLength + 1 steps: greedy, or beam search when `beamWidth` > 1.
 *   Output the table {[N, T, V] log-probabilities along the decoded path,
 *   [N, T] int32 tokens}; the text ends at the first end symbol.
 *
 * Backward (teacher forcing only): the decoder by autodiff, then the
 * encoder's and trunk's own backward, so their Torch methods and side
 * effects (BatchNorm's statistics) run once per step, as in a Sequential.
 */
export class EncoderDecoder extends Container {
  readonly typeName = 'EncoderDecoder';
  /** Beam width of inference; 1 is greedy. Not saved: a setting of how it is used. */
  beamWidth = 1;
  private ownGradInput: Tensor[] = [];

  constructor(
    readonly maxLength: number,
    trunk: Module,
    encoder: SeqLSTM,
    embed: LookupTable,
    cell: FastLSTM,
    classifier: Module,
    attention?: AttentionModule,
  ) {
    super(trunk, encoder, embed, cell, classifier, ...(attention ? [attention] : []));
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`EncoderDecoder: maxLength must be a positive integer, got ${maxLength}`);
    if (!(encoder instanceof SeqLSTM) || !encoder.batchFirst) throw new TypeError('EncoderDecoder: the encoder must be a batch-first SeqLSTM');
    if (!(embed instanceof LookupTable)) throw new TypeError('EncoderDecoder: embed must be a LookupTable');
    if (!(cell instanceof FastLSTM)) throw new TypeError('EncoderDecoder: the cell must be a FastLSTM');
    const H = encoder.outputSize;
    if (cell.outputSize !== H)
      throw new RangeError(`EncoderDecoder: the cell's size ${cell.outputSize} must be the encoder's ${H} (its last output starts the decoder)`);
    if (cell.inputSize !== embed.nOutput + H)
      throw new RangeError(`EncoderDecoder: the cell reads [embedding; context], ${embed.nOutput} + ${H} = ${embed.nOutput + H} inputs, not ${cell.inputSize}`);
    if (attention && (attention.querySize !== H || attention.keySize !== H))
      throw new RangeError(
        `EncoderDecoder: the attention must take queries and keys of the hidden size ${H}, got ${attention.querySize} and ${attention.keySize}`,
      );
  }

  get trunk(): Module {
    return this.modules[0]!;
  }
  get encoder(): SeqLSTM {
    return this.modules[1] as SeqLSTM;
  }
  get embed(): LookupTable {
    return this.modules[2] as LookupTable;
  }
  get cell(): FastLSTM {
    return this.modules[3] as FastLSTM;
  }
  get classifier(): Module {
    return this.modules[4]!;
  }
  get attention(): AttentionModule | undefined {
    return this.modules[5] as AttentionModule | undefined;
  }
  /** V: the output classes, the end symbol (V − 1) included. */
  get numClasses(): number {
    return this.embed.nIndex - 1;
  }
  /** The start symbol, V. */
  get go(): number {
    return this.embed.nIndex - 1;
  }
  /** The end symbol, V − 1. */
  get end(): number {
    return this.embed.nIndex - 2;
  }

  override toSpec() {
    return { type: this.typeName, args: [this.maxLength], children: this.modules.map((m) => m.toSpec()) };
  }

  // ------------------------------------------------------------ input

  private split(input: Activity): { x: Tensor; prev: Tensor | null } {
    if (!Array.isArray(input)) return { x: input, prev: null };
    const [x, prev] = input as Tensor[];
    return { x: x!, prev: prev ?? null };
  }

  protected override checkInput(input: Activity): void {
    const want = '{image [N,H,W,C], previous tokens [N,T] int32} or an image [N,H,W,C]';
    if (Array.isArray(input) && (input.length !== 2 || Array.isArray(input[0]) || Array.isArray(input[1])))
      throw new ShapeError(this.path(), want, `a table of ${input.length}`);
    const { x, prev } = this.split(input);
    this.expectShape(x, [['N', 'H', 'W', 'C']], 'image');
    if (prev) {
      this.expectShape(prev, [[x.shape[0]!, 'T']], 'previous tokens');
      if (prev.dtype !== 'int32') throw new ShapeError(this.path(), 'int32 previous tokens', `${prev.dtype} ones`);
    }
  }

  // ------------------------------------------------------------ decoder

  /** One decoder step from token ids [N] (pure). */
  private step(tok: Tensor, s: Tensor[], enc: Tensor, v: Tensor): Step {
    const e = this.embed.apply(tok) as Tensor;
    let ctx = v;
    let weights: Tensor | undefined;
    const att = this.attention;
    if (att) {
      const a = att.apply([s[0]!, enc]);
      if (Array.isArray(a)) [ctx, weights] = a as Tensor[];
      else ctx = a;
    }
    const r = this.cell.stepFrom(tf.concat([e, ctx!], 1), s);
    const logp = this.classifier.apply(tf.concat([r.output as Tensor, ctx!], 1)) as Tensor;
    return { logp, state: r.state, weights };
  }

  /** The encoder's last output v [N, H] and the decoder's first state (v, 0). */
  private start(enc: Tensor): { v: Tensor; s0: Tensor[] } {
    const [N, S, H] = enc.shape as [number, number, number];
    const v = tf.reshape(tf.slice(enc, [0, S - 1, 0], [N, 1, H]), [N, H]);
    return { v, s0: [v, tf.zerosLike(v)] };
  }

  /** Teacher forcing: [N, T, V] log-probabilities of the steps after each previous token. */
  private teacherForced(enc: Tensor, prev: Tensor): Tensor {
    const { v, s0 } = this.start(enc);
    let s = s0;
    const outs = tf.unstack(prev, 1).map((tok) => {
      const r = this.step(tok, s, enc, v);
      s = r.state;
      return r.logp;
    });
    return tf.stack(outs, 1);
  }

  /** Greedy decoding for maxLength + 1 steps: log-probabilities, tokens and (with attention, when asked) weights. */
  private greedy(enc: Tensor, withWeights = false): { logp: Tensor; tokens: Tensor; weights?: Tensor } {
    const { v, s0 } = this.start(enc);
    let s = s0;
    let tok = tf.fill([enc.shape[0]!], this.go, 'int32');
    const logps: Tensor[] = [];
    const toks: Tensor[] = [];
    const ws: Tensor[] = [];
    for (let t = 0; t <= this.maxLength; t++) {
      const r = this.step(tok, s, enc, v);
      s = r.state;
      logps.push(r.logp);
      if (withWeights && r.weights) ws.push(r.weights);
      tok = tf.cast(tf.argMax(r.logp, 1), 'int32');
      toks.push(tok);
    }
    return { logp: tf.stack(logps, 1), tokens: tf.stack(toks, 1), ...(ws.length ? { weights: tf.stack(ws, 1) } : {}) };
  }

  /**
   * Beam search of width k: each sample keeps the k most probable prefixes
   * (sum of log-probabilities); a prefix that emitted the end symbol is
   * finished and only extends with the end symbol at no cost. The best of
   * the k after maxLength + 1 steps is the result. The bookkeeping is on
   * the CPU (a [N·k, V] read per step); the states are gathered on the backend.
   */
  private beam(enc: Tensor, k: number): { logp: Tensor; tokens: Tensor } {
    const N = enc.shape[0]!;
    const V = this.numClasses;
    const K = Math.min(k, V);
    const rows = N * K;
    // every sample's keys repeated for its K beams
    const rep = tf.tensor1d(
      Array.from({ length: rows }, (_, r) => Math.floor(r / K)),
      'int32',
    );
    const encK = tf.gather(enc, rep);
    const { v, s0 } = this.start(encK);
    let s = s0;
    // beam 0 of each sample starts alone: the others begin at −∞
    let score = Float64Array.from({ length: rows }, (_, r) => (r % K === 0 ? 0 : -Infinity));
    let done = new Uint8Array(rows);
    let tok = new Int32Array(rows).fill(this.go);
    const history: { parent: Int32Array; token: Int32Array; logp: Float32Array }[] = [];
    for (let t = 0; t <= this.maxLength; t++) {
      const r = this.step(tf.tensor1d(tok, 'int32'), s, encK, v);
      const lp = r.logp.dataSync() as Float32Array;
      const parent = new Int32Array(rows);
      const token = new Int32Array(rows);
      const nextScore = new Float64Array(rows);
      const nextDone = new Uint8Array(rows);
      for (let n = 0; n < N; n++) {
        const cands: { b: number; c: number; sc: number }[] = [];
        for (let b = n * K; b < (n + 1) * K; b++) {
          if (score[b] === -Infinity) continue;
          if (done[b]) cands.push({ b, c: this.end, sc: score[b]! });
          else for (let c = 0; c < V; c++) cands.push({ b, c, sc: score[b]! + lp[b * V + c]! });
        }
        // ties keep the earlier beam and the lower class, as a stable sort does
        cands.sort((a, z) => z.sc - a.sc);
        for (let j = 0; j < K; j++) {
          const i = n * K + j;
          const cand = cands[j];
          if (!cand) {
            parent[i] = n * K;
            token[i] = this.end;
            nextScore[i] = -Infinity;
            nextDone[i] = 1;
            continue;
          }
          parent[i] = cand.b;
          token[i] = cand.c;
          nextScore[i] = cand.sc;
          nextDone[i] = done[cand.b] || cand.c === this.end ? 1 : 0;
        }
      }
      history.push({ parent, token, logp: lp.slice() });
      const idx = tf.tensor1d(parent, 'int32');
      s = r.state.map((x) => tf.gather(x, idx));
      score = nextScore;
      done = nextDone;
      tok = token;
    }
    // backtrack the best beam of each sample
    const T = this.maxLength + 1;
    const tokens = new Int32Array(N * T);
    const logp = new Float32Array(N * T * V);
    for (let n = 0; n < N; n++) {
      let best = n * K;
      for (let b = n * K; b < (n + 1) * K; b++) if (score[b]! > score[best]!) best = b;
      let cur = best;
      for (let t = T - 1; t >= 0; t--) {
        const h = history[t]!;
        tokens[n * T + t] = h.token[cur]!;
        const from = h.parent[cur]!;
        logp.set(h.logp.subarray(from * V, (from + 1) * V), (n * T + t) * V);
        cur = from;
      }
    }
    return { logp: tf.tensor3d(logp, [N, T, V]), tokens: tf.tensor2d(tokens, [N, T], 'int32') };
  }

  /** The decoder part of compute, from the encoder's outputs. */
  private head(enc: Tensor, prev: Tensor | null): Activity {
    if (prev) return this.teacherForced(enc, prev);
    const r = this.beamWidth > 1 ? this.beam(enc, this.beamWidth) : this.greedy(enc);
    return [r.logp, r.tokens];
  }

  protected compute(input: Activity): Activity {
    const { x, prev } = this.split(input);
    const enc = this.encoder.apply(this.trunk.apply(x)) as Tensor;
    return this.head(enc, prev);
  }

  /**
   * A greedy decode of images [N,H,W,C] with the attention weights of each
   * step over the S feature columns (the caller disposes the tensors).
   */
  attentionTrace(images: Tensor): AttentionTrace {
    const att = this.attention;
    if (!att) throw new ModuleError(this.path(), 'this model has no attention (build the attention model)');
    const had = att.returnsWeights;
    att.returnWeights(true);
    try {
      return tf.tidy(() => {
        const enc = this.encoder.apply(this.trunk.apply(images)) as Tensor;
        const r = this.greedy(enc, true);
        return { tokens: r.tokens, logProbs: r.logp, weights: r.weights! };
      });
    } finally {
      att.returnWeights(had);
    }
  }

  // ------------------------------------------------------------ Torch methods

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    const { x, prev } = this.split(input);
    const cols = this.trunk.updateOutput(x);
    const enc = this.encoder.updateOutput(cols) as Tensor;
    let out: Activity;
    try {
      out = tf.tidy(() => this.head(enc, prev) as tf.TensorContainer) as Activity;
    } catch (e) {
      throw this.wrapError(e);
    }
    tf.dispose(this.output as tf.TensorContainer);
    this.output = out;
    return out;
  }

  /** The decoder's parameters (embedding, cell, classifier, attention) and their gradient buffers. */
  private headParameters(): [Variable[], Variable[]] {
    const ws: Variable[] = [];
    const gs: Variable[] = [];
    for (const m of this.modules.slice(2)) {
      const [w, g] = m.parameters();
      ws.push(...w);
      gs.push(...g);
    }
    return [ws, gs];
  }

  /** d loss / d encoder output through the decoder, adding scale · the decoder's parameter gradients when asked. */
  private decoderBackward(prev: Tensor | null, gradOutput: Activity, params: boolean, scale: number): Tensor {
    if (!prev || Array.isArray(gradOutput)) throw new ModuleError(this.path(), 'backward needs the teacher-forced input {image, previous tokens}');
    const enc = this.encoder.output as Tensor;
    const [ws, gs] = params ? this.headParameters() : [[], []];
    return tf.tidy(() => {
      const f = () => tf.sum(tf.mul(this.teacherForced(enc, prev), gradOutput));
      const { grads } = tf.engine().gradients(f, [enc, ...ws], undefined, true);
      grads.slice(1).forEach((g, i) => {
        if (g) gs[i]!.assign(tf.add(gs[i]!, scale === 1 ? g : tf.mul(g, scale)));
      });
      return grads[0] ?? tf.zerosLike(enc);
    });
  }

  private setInputGrad(gx: Activity, prev: Tensor | null): Activity {
    tf.dispose(this.ownGradInput);
    this.ownGradInput = prev ? [tf.zerosLike(prev)] : [];
    this.gradInput = prev ? [gx as Tensor, this.ownGradInput[0]!] : gx;
    return this.gradInput;
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const { x, prev } = this.split(input);
    const gEnc = this.decoderBackward(prev, gradOutput, true, scale);
    try {
      const gCols = this.encoder.backward(this.trunk.output, gEnc, scale);
      return this.setInputGrad(this.trunk.backward(x, gCols, scale), prev);
    } finally {
      gEnc.dispose();
    }
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const { x, prev } = this.split(input);
    const gEnc = this.decoderBackward(prev, gradOutput, false, 1);
    try {
      const gCols = this.encoder.updateGradInput(this.trunk.output, gEnc);
      return this.setInputGrad(this.trunk.updateGradInput(x, gCols), prev);
    } finally {
      gEnc.dispose();
    }
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const { x, prev } = this.split(input);
    const gEnc = this.decoderBackward(prev, gradOutput, true, scale);
    try {
      this.encoder.accGradParameters(this.trunk.output, gEnc, scale);
      this.trunk.accGradParameters(x, this.encoder.gradInput, scale);
    } finally {
      gEnc.dispose();
    }
  }

  override clearState(): this {
    tf.dispose(this.output as tf.TensorContainer);
    tf.dispose(this.ownGradInput);
    this.ownGradInput = [];
    return super.clearState();
  }

  override toString(): string {
    const names = ['trunk', 'encoder', 'embed', 'cell', 'classifier', 'attention'];
    const lines = this.modules.map((m, i) => `\n  (${i + 1}) ${names[i]}: ${m.toString().replace(/\n/g, '\n  ')}`);
    const how = this.attention ? 'attention over the encoder outputs' : "the encoder's last output";
    return `nn.EncoderDecoder(maxLength ${this.maxLength}; decoder reads ${how}) {\n  [image -> (1) -> (2) -> decoder((3), (4), (5)${this.attention ? ', (6)' : ''}) -> output]${lines.join('')}\n}`;
  }
}
