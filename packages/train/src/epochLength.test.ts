/**
 * An epoch never ends in a batch of one image: batch norm cannot normalise
 * one sample in training, and a folder of N ≡ 1 (mod batch) images used to
 * stop the run at the end of its first epoch.
 */
import { join } from 'node:path';
import { BatchNormalization, Linear, ReLU, Sequential, View } from '@captcha-nn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { epochLength } from './epoch';
import { checkModelOptions, registerModel } from './registry';
import { textTask } from './task';
import { writeTinyPngs } from './testing';
import { train } from './trainer';
import { tempDir } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

// A small model with a training-mode BatchNormalization, which refuses a batch of one.
registerModel('tiny-batchnorm', (o) => {
  checkModelOptions(o, 'tiny-batchnorm');
  const size = o.height * o.width * o.channels;
  const model = new Sequential(
    new View(-1, size),
    new Linear(size, 16),
    new BatchNormalization(16),
    new ReLU(),
    new Linear(16, o.length * o.numClasses),
    new View(-1, o.length, o.numClasses),
  );
  return { model, task: textTask('tensor') };
});

describe('epochLength', () => {
  it('leaves out the last image only when it would be a batch of its own', () => {
    expect(epochLength(449, 32)).toBe(448);
    expect(epochLength(33, 32)).toBe(32);
    expect(epochLength(450, 32)).toBe(450);
    expect(epochLength(448, 32)).toBe(448);
    expect(epochLength(1, 32)).toBe(1);
    expect(epochLength(9, 1)).toBe(9);
  });

  it('a folder of 9 images at batch 8 trains a batch-norm model for 2 epochs of one step each, and says what it left out', async () => {
    const folder = join(tmp.dir, 'nine');
    await writeTinyPngs(folder, 9, 'nine');
    const logs: string[] = [];
    const r = await train(
      {
        model: 'tiny-batchnorm',
        data: { kind: 'folder', dir: folder, valSplit: 0 },
        epochs: 2,
        batchSize: 8,
        seed: '1',
        workers: 1,
        backend: 'wasm',
        out: join(tmp.dir, 'run'),
      },
      { log: (m) => logs.push(m) },
    );
    expect(r.status).toBe('completed');
    expect([r.step, r.epochs]).toEqual([2, 2]);
    expect(logs.join('\n')).toMatch(/each epoch leaves out the last image of its shuffled order: 9 images at batch 8 would end in a batch of one/);
  });
});
