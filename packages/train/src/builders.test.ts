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
  type Module,
  type Target,
  type Tensor,
} from '@captcha-nn/core';
import { batches, generatorSource } from '@captcha-nn/data';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGenerator } from './data';
import { decodeOutput, type Decoded, type TargetFormat } from './metrics';
import { loadCaptchaModel } from './modelio';
import { registerModel, type CaptchaModelOptions } from './registry';
import { train } from './trainer';
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

/** A small model with the 'table' output contract (a table of `length` [N,C] log-probs). */
function tinyTable(o: CaptchaModelOptions) {
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
  return { model, criterion: new TableNLLCriterion(), targetFormat: 'table' as const };
}
registerModel('tiny-table', tinyTable, 'test: table output');

// Models through the registry, 'tensor' and 'table' outputs: a few steps, then the saved best
// model must give exactly the outputs of the trained one.
const cases: Array<[string]> = [['tiny-table'], ['cnn'], ['crnn']];
describe.each(cases)('--model %s --variant compact', (name) => {
  it('trains, saves and loads back with identical predictions', async () => {
    const gen = makeGenerator(TINY_DATA, 'probe');
    let x: Tensor | undefined;
    for await (const b of batches(generatorSource(gen, { count: 6, format: 'gray' }), { batchSize: 6, shuffle: false })) {
      x = b.x;
      b.y.dispose();
      b.lengths.dispose();
    }
    let model: Module | undefined;
    let format: TargetFormat = 'tensor';
    let best: Decoded | undefined;
    const r = await train(
      { model: name, variant: 'compact', data: { ...TINY_DATA, trainSize: 16, valSize: 8 }, epochs: 2, batchSize: 8, seed: '1', out: join(tmp.dir, name) },
      {
        onStart: (s) => {
          model = s.model;
          format = s.targetFormat;
        },
        onEpochEnd: (_r, _v, isBest) => {
          if (!isBest) return;
          model!.evaluate();
          best = decodeOutput(model!.forward(x!), format);
        },
      },
    );
    expect(r.step).toBe(4);
    const loaded = await loadCaptchaModel(r.out);
    expect(loaded.metadata.targetFormat).toBe(format);
    expect(format).toBe(name === 'cnn' ? 'tensor' : 'table');
    const again = decodeOutput(loaded.model.forward(x!), format);
    expect(Array.from(again.classes)).toEqual(Array.from(best!.classes));
    expect(Array.from(again.probs)).toEqual(Array.from(best!.probs));
    loaded.model.dispose();
    x!.dispose();
  });
});
