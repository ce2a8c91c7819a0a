import { join } from 'node:path';
import { ClassNLLCriterion, CrossEntropyCriterion, MultiCrossEntropyCriterion, ready, tf } from '@captcha-nn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ctcTask } from './ctcTask';
import { openRun } from './run';
import { classificationTask, labelSmoothedTask, textTask } from './task';
import { TINY_DATA, tempDir } from './test/helpers';

const tmp = tempDir();
beforeAll(() => ready());
afterAll(tmp.cleanup);

describe('labelSmoothedTask', () => {
  it('gives a classification task CrossEntropyCriterion with ε over its log-probabilities, as PyTorch on the scores', () => {
    const eps = 0.1;
    const task = labelSmoothedTask(classificationTask(), eps);
    expect(task.criterion.toSpec()).toEqual({ type: 'CrossEntropyCriterion', args: [null, true, eps] });
    const scores = tf.tensor2d([
      [2, 0.5, -1],
      [0, 1, 3],
    ]);
    const logp = tf.logSoftmax(scores);
    const onScores = new CrossEntropyCriterion(undefined, true, eps);
    const plain = new ClassNLLCriterion();
    expect(task.criterion.forward(logp, [0, 2])).toBeCloseTo(onScores.forward(scores, [0, 2]), 6);
    expect(Math.abs(task.criterion.output - plain.forward(logp, [0, 2]))).toBeGreaterThan(0.01);
    for (const d of [task.criterion, onScores, plain, scores, logp]) d.dispose();
  });

  it("gives fixed-length text its ε, leaves ε = 0 alone, and refuses CTC or a registered model's own criterion", () => {
    const text = labelSmoothedTask(textTask('tensor'), 0.2);
    expect(text.criterion).toBeInstanceOf(MultiCrossEntropyCriterion);
    expect(text.criterion.toSpec()).toEqual({ type: 'MultiCrossEntropyCriterion', args: [0.2] });
    text.criterion.dispose();
    const plain = classificationTask();
    expect(labelSmoothedTask(plain, 0)).toBe(plain);
    expect(() => labelSmoothedTask(ctcTask({ blank: 0 }), 0.1)).toThrow(/--label-smoothing 0.1: applies to classification models .* this model's task is ctc/);
    const weighted = classificationTask(new ClassNLLCriterion([1, 2]));
    expect(() => labelSmoothedTask(weighted, 0.1)).toThrow(/task is classification with \{"type":"ClassNLLCriterion","args":\[\[1,2\],true,-100\]\}/);
    expect(() => labelSmoothedTask(textTask('table'), 0.1)).toThrow(/task is text with \{"type":"SequencerCriterion"/);
  });

  it('a run with labelSmoothing trains with the smoothed criterion; a bad value is an error naming the flag', async () => {
    const run = await openRun({ model: 'tiny', data: TINY_DATA, labelSmoothing: 0.1, backend: 'wasm', out: join(tmp.dir, 'smooth') });
    expect(run.task.criterion.toSpec()).toEqual({ type: 'MultiCrossEntropyCriterion', args: [0.1] });
    run.task.criterion.dispose();
    run.optimizer.dispose();
    run.model.dispose();
    await expect(openRun({ model: 'tiny', data: TINY_DATA, labelSmoothing: 1.5, out: join(tmp.dir, 'bad') })).rejects.toThrow(
      '--label-smoothing must be in [0, 1], got 1.5',
    );
  });
});
