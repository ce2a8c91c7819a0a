import { join } from 'node:path';
import {
  ClassNLLCriterion,
  Criterion,
  Linear,
  LogSoftMax,
  ReLU,
  Sequential,
  SpatialConvolution,
  SpatialMaxPooling,
  SplitTable,
  View,
  tf,
  type Activity,
  type Target,
  type Tensor,
} from '@captcha-nn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { registerModel, type ModelOptions } from './registry';
import { classificationTask, textTask, type Task } from './task';
import { trainAndReload } from './testing';
import { TINY_DATA, tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

/** Mean ClassNLL over a table of [N,C] log-probabilities against a table of [N] targets. */
class TableNLLCriterion extends Criterion {
  readonly typeName = 'TableNLLCriterion';
  private readonly nll = new ClassNLLCriterion();
  protected loss(input: Activity, target: Target): Tensor {
    const xs = input as Tensor[];
    const ts = target as Tensor[];
    return tf.div(tf.addN(xs.map((x, i) => this.nll.lossTensor(x, ts[i]!))), xs.length);
  }
}

/** A small model with the 'table' output contract (a table of `length` [N,C] log-probs), and its own criterion. */
function tinyTable(o: ModelOptions) {
  const h = Math.floor(o.height / 4);
  const w = Math.floor(o.width / 4);
  const model = new Sequential(
    new SpatialConvolution(o.channels, 8, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(4, 4, 4, 4),
    new View(-1, 8 * h * w),
    new Linear(8 * h * w, o.length * o.numClasses),
    new View(-1, o.length, o.numClasses),
    new LogSoftMax(),
    new SplitTable(1),
  );
  return { model, task: textTask('table', new TableNLLCriterion()) };
}
registerModel('tiny-table', tinyTable, 'test: table output');

/** One label per image: [N, C] log-probabilities. */
function tinyClassifier(o: ModelOptions) {
  const h = Math.floor(o.height / 4);
  const w = Math.floor(o.width / 4);
  const model = new Sequential(
    new SpatialConvolution(o.channels, 8, 3, 3, 1, 1, 1, 1),
    new ReLU(),
    new SpatialMaxPooling(4, 4, 4, 4),
    new View(-1, 8 * h * w),
    new Linear(8 * h * w, o.numClasses),
    new LogSoftMax(),
  );
  return { model, task: classificationTask() };
}
registerModel('tiny-classifier', tinyClassifier, 'test: one class per image');

// Tasks through the registry: text with 'tensor' and 'table' outputs, and classification. A few
// steps, then the saved best model must give exactly the outputs of the trained one.
const cases: Array<[string, number, Task['spec']]> = [
  ['tiny', 2, { name: 'text', format: 'tensor' }],
  ['tiny-table', 2, { name: 'text', format: 'table' }],
  ['tiny-classifier', 1, { name: 'classification' }],
];
describe.each(cases)('--model %s', (name, length, spec) => {
  it('trains, saves and loads back its task with identical predictions', async () => {
    const r = await trainAndReload(name, { ...TINY_DATA, length, trainSize: 16, valSize: 8 }, join(tmp.dir, name));
    expect(r.steps).toBe(4);
    expect([r.spec, r.savedSpec]).toEqual([spec, spec]);
    expect(r.trained.length).toBe(length);
    expect(Array.from(r.loaded.classes)).toEqual(Array.from(r.trained.classes));
    expect(Array.from(r.loaded.probs)).toEqual(Array.from(r.trained.probs));
  });
});
