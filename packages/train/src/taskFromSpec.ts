/** The task of a saved model, from the spec in its metadata. */
import { ctcTask } from './ctcTask';
import { seq2seqTask } from './seq2seqTask';
import { classificationTask, textTask, type Task, type TaskSpec } from './task';

/** The task a saved model was trained for (its metadata's `task`, or the older `targetFormat`). */
export function taskFromSpec(spec: TaskSpec): Task {
  if (spec.name === 'classification') return classificationTask();
  if (spec.name === 'text' && (spec.format === 'tensor' || spec.format === 'table')) return textTask(spec.format);
  if (spec.name === 'ctc' && Number.isInteger(spec.blank))
    return ctcTask({
      blank: spec.blank,
      ...(spec.steps !== undefined ? { steps: spec.steps } : {}),
      ...(spec.readLength ? { readLength: spec.readLength } : {}),
    });
  if (spec.name === 'seq2seq' && Number.isInteger(spec.end)) return seq2seqTask(spec.end);
  throw new Error(`unknown task ${JSON.stringify(spec)} (known: text with format tensor|table, classification, ctc with a blank, seq2seq with an end)`);
}
