import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerModel } from './registry';
import { classificationTask, textTask, type Task } from './task';
import { trainAndReload } from './testing';
import { TINY_DATA, tempDir, tinyClassifierNet, tinyTableNet } from './test/helpers';
// @ts-expect-error: a plain .mjs fixture (the data-parallel test imports it in worker threads too)
import { TestTableNLLCriterion } from './test/tableCriterion.mjs';

const tmp = tempDir();
afterAll(tmp.cleanup);

registerModel('tiny-table', (o) => ({ model: tinyTableNet(o), task: textTask('table', new TestTableNLLCriterion()) }), 'test: table output, own criterion');
registerModel('tiny-classifier', (o) => ({ model: tinyClassifierNet(o), task: classificationTask() }), 'test: one class per image');

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
    expect(r.trained).toHaveLength(6); // the probe batch
    for (const reading of r.trained) expect(reading.ids.length).toBeLessThanOrEqual(length);
    expect(r.loaded).toEqual(r.trained);
  });
});
