import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../tf';
import { type Activity, describeActivity, disposeActivity, flattenActivity, isTensor } from '../util/activity';
import { Container } from './Container';
import type { Module } from './Module';
import { ModuleError } from '../util/errors';

/**
 * Torch's `nn.ConcatTable()`: gives the same input to every child; the output
 * is the table of their outputs.
 *
 * Shapes: input anything the children take (a tensor or a table); output a
 * table with one entry per child. gradInput is the sum of the children's
 * gradInputs (tables are summed entry by entry), a new tensor (or table)
 * owned by this module, as Torch copies into its own buffer.
 */
export class ConcatTable extends Container {
  readonly typeName: string = 'ConcatTable';

  protected compute(input: Activity): Activity {
    return this.modules.map((m) => m.apply(input));
  }

  override updateOutput(input: Activity): Activity {
    this.checkInput(input);
    this.output = this.modules.map((m) => m.updateOutput(input));
    return this.output;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity {
    const gys = this.gradTable(gradOutput);
    const gis = this.modules.map((m, i) => m.updateGradInput(input, gys[i]));
    return this.setOwnGradInput(this.sumGradInputs(gis), input, gradOutput);
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const gys = this.gradTable(gradOutput);
    this.modules.forEach((m, i) => m.accGradParameters(input, gys[i], scale));
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity {
    const gys = this.gradTable(gradOutput);
    const gis = this.modules.map((m, i) => m.backward(input, gys[i], scale));
    return this.setOwnGradInput(this.sumGradInputs(gis), input, gradOutput);
  }

  /** gradOutput as a table with one entry per child. */
  private gradTable(gradOutput: Activity): Activity[] {
    if (isTensor(gradOutput) || gradOutput.length !== this.modules.length)
      throw new ModuleError(this.path(), `expected gradOutput a table of ${this.modules.length} entries, got ${describeActivity(gradOutput)}`);
    return gradOutput;
  }

  protected sumGradInputs(gis: Activity[]): Activity {
    try {
      return sumActivities(gis);
    } catch (e) {
      throw this.wrapError(e);
    }
  }

  /** Replaces gradInput, which this module owns, freeing the old one. */
  protected setOwnGradInput(gradInput: Activity, input: Activity, gradOutput: Activity): Activity {
    disposeActivity(this.gradInput, [...flattenActivity(gradInput), ...flattenActivity(input), ...flattenActivity(gradOutput)]);
    this.gradInput = gradInput;
    return gradInput;
  }

  override clearState(): this {
    disposeActivity(this.gradInput);
    this.gradInput = [];
    return super.clearState();
  }

  override toString(): string {
    return branchString(`nn.${this.typeName}`, this.modules, true);
  }
}

/**
 * The elementwise sum of activities of one structure (tensors, or tables
 * summed entry by entry; an entry missing from some is summed over the
 * others). Always returns new tensors, even for a single activity.
 */
export function sumActivities(acts: Activity[]): Activity {
  return tf.tidy(() => sumInner(acts) as tf.TensorContainer) as Activity;
}

function sumInner(acts: Activity[]): Activity {
  if (acts.every(isTensor)) {
    const ts = acts as Tensor[];
    if (ts.length === 1) return ts[0].clone();
    const s0 = ts[0].shape.join(',');
    const bad = ts.find((t) => t.shape.join(',') !== s0);
    if (bad) throw new Error(`cannot sum gradients of shapes [${s0}] and [${bad.shape.join(',')}]`);
    return tf.addN(ts);
  }
  if (acts.some(isTensor)) throw new Error(`cannot sum a tensor and a table: ${acts.map((a) => describeActivity(a)).join(', ')}`);
  const tables = acts as Activity[][];
  const n = Math.max(...tables.map((t) => t.length));
  const out: Activity[] = [];
  for (let k = 0; k < n; k++) out.push(sumInner(tables.filter((t) => t[k] !== undefined).map((t) => t[k])));
  return out;
}

/**
 * Torch7's branch drawing for Concat, ConcatTable and ParallelTable:
 *
 * ```
 * nn.ConcatTable {
 *   input
 *     |`-> (1): ...
 *      `-> (2): ...
 *      ... -> output
 * }
 * ```
 *
 * With `markLast` (Concat, ConcatTable) the last branch is drawn with
 * `` `-> `` and its continuation lines without the bar; Torch7's
 * ParallelTable draws every branch with `` |`-> ``.
 */
export function branchString(name: string, modules: Module[], markLast: boolean): string {
  const tab = '  ';
  let str = `${name} {\n${tab}input`;
  modules.forEach((m, i) => {
    const last = markLast && i === modules.length - 1;
    const head = last ? '   `-> ' : '  |`-> ';
    const ext = last ? '       ' : '  |    ';
    str += `\n${tab}${head}(${i + 1}): ${m.toString().replace(/\n/g, `\n${tab}${ext}`)}`;
  });
  return `${str}\n${tab}   ... -> output\n}`;
}
