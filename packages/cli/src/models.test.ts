import { join } from 'node:path';
import { listModels } from '@captcha-nn/train';
import { TINY_DATA, trainAndReload } from '@captcha-nn/train/testing';
import { afterAll, describe, expect, it } from 'vitest';
// The program imports the example packages, which register their models.
import './program';
import { tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

const DATA = { ...TINY_DATA, trainSize: 16, valSize: 8 };
// Models that read one segmented character are trained on one-character labels.
const ONE_CHARACTER = new Set(['reddit-letter']);

describe('the models the CLI offers', () => {
  it('include the examples', () => {
    expect(listModels().map((m) => m.name)).toEqual(expect.arrayContaining(['cnn', 'crnn', 'reddit-letter', 'resnet', 'tiny']));
  });

  // Every registered model, through the one trainer: the saved best model reads exactly as the trained one.
  describe.each(listModels().map((m) => [m.name]))('--model %s --variant compact', (name) => {
    it('trains, saves and loads back with identical predictions', async () => {
      const r = await trainAndReload(name, ONE_CHARACTER.has(name) ? { ...DATA, length: 1 } : DATA, join(tmp.dir, name));
      expect(r.steps).toBe(4);
      // A CTC model also records the lengths it trained on (TINY_DATA's 2, or 1), which it then reads by default.
      const length = ONE_CHARACTER.has(name) ? 1 : 2;
      expect(r.savedSpec).toEqual(r.spec.name === 'ctc' ? { ...r.spec, readLength: { min: length, max: length } } : r.spec);
      expect(r.loaded).toEqual(r.trained);
    });
  });
});
