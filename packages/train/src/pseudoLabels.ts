/**
 * Self-training's labels: a trained model's confident readings of unlabelled
 * images of the scheme (`train --unlabelled DIR`). The run reads them once,
 * before its first step, and keeps them in its folder, so a resumed run
 * trains on the same images and labels.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Tensor } from '@captcha-nn/core';
import { expandImagePaths } from '@captcha-nn/data';
import { monotonicSeconds } from './clock';
import type { PseudoLabelNeeds, PseudoLabeller } from './data';
import { loadCaptchaModel } from './modelio';
import { csvField, predictFiles, type Prediction } from './predict';
import { modelImports } from './registry';
import { openDataParallel, type DataParallelSetup, type WorkerPlan } from './workers';

/** The run folder's file of the readings kept: `file,label,confidence`, files relative to the unlabelled folder. */
export const PSEUDO_LABELS_FILE = 'pseudo-labels.csv';

export interface PseudoLabelChoice {
  kept: Prediction[];
  /** Read with a confidence below the threshold. */
  unsure: number;
  /** Read confidently, but with a character outside the labelled data's charset or a length outside its labels'. */
  outside: number;
  /** Files that could not be read (their errors name them). */
  unreadable: Prediction[];
}

/** The readings that label their image: confident enough, and text the labelled data could have. */
export function choosePseudoLabels(preds: readonly Prediction[], needs: Omit<PseudoLabelNeeds, 'dir'>): PseudoLabelChoice {
  const choice: PseudoLabelChoice = { kept: [], unsure: 0, outside: 0, unreadable: [] };
  for (const p of preds) {
    if (p.error !== undefined) choice.unreadable.push(p);
    else if (!(p.confidence >= needs.minConfidence)) choice.unsure++;
    else {
      const chars = [...p.text];
      const fits = chars.length >= needs.minLength && chars.length <= needs.maxLength && chars.every((c) => needs.charset.includes(c));
      if (fits) choice.kept.push(p);
      else choice.outside++;
    }
  }
  return choice;
}

/**
 * Labels the unlabelled folder with the model in `modelDir`: CTC models read
 * only texts of the labelled data's lengths. A resumed run (`resumed`) reads
 * the file its first session wrote instead.
 */
export function pseudoLabeller(
  modelDir: string,
  out: string,
  opts: {
    resumed: boolean;
    batchSize?: number;
    workers?: WorkerPlan;
    setup?: DataParallelSetup;
    /** Seconds on a monotonic clock (default performance.now): the run's clock, which the reading's time counts on. */
    clock?: () => number;
  },
): PseudoLabeller {
  const csv = join(out, PSEUDO_LABELS_FILE);
  return async (needs) => {
    if (opts.resumed) {
      if (!existsSync(csv))
        throw new Error(`--resume: ${csv} is missing: the readings that labelled ${needs.dir} when the run started cannot be read again exactly`);
      return {
        csv,
        description: `self-training: the images of ${needs.dir} that ${csv} labels (read by the --init model when the run started)`,
        seconds: 0,
      };
    }
    const clock = opts.clock ?? monotonicSeconds;
    const started = clock();
    const files = await expandImagePaths([needs.dir]);
    const m = await loadCaptchaModel(modelDir, { foldBatchNorm: true });
    let preds: Prediction[];
    // The run's worker threads read their share of the pool too (a task that configures the model to decode reads here only).
    const workers = m.task.configureModel ? undefined : opts.workers;
    const dp = workers
      ? await openDataParallel(m.model, workers, { ...opts.setup, imports: [...(opts.setup?.imports ?? []), ...modelImports(m.metadata.model.name)] })
      : null;
    try {
      const decode = m.task.spec.name === 'ctc' ? { length: { min: needs.minLength, max: needs.maxLength } } : undefined;
      const forward = dp ? (x: Tensor) => dp.forward(x, { dim: m.task.outputBatchDim ?? 0 }) : undefined;
      preds = await predictFiles(m, files, opts.batchSize ?? 64, decode, undefined, forward);
    } finally {
      await dp?.dispose();
      m.model.dispose();
    }
    const choice = choosePseudoLabels(preds, needs);
    if (choice.kept.length === 0)
      throw new Error(
        `self-training: the --init model read none of the ${files.length} images in ${needs.dir} with a confidence of at least ${needs.minConfidence}` +
          ` and a text of the labels' characters and lengths (${choice.unsure} less sure, ${choice.outside} other text, ${choice.unreadable.length} unreadable); lower --min-confidence or fine-tune the model first`,
      );
    const rows = choice.kept.map((p) => [relative(needs.dir, p.file), p.text, p.confidence.toFixed(6)].map(csvField).join(','));
    await mkdir(out, { recursive: true });
    await writeFile(`${csv}.tmp`, `file,label,confidence\n${rows.join('\n')}\n`);
    await rename(`${csv}.tmp`, csv);
    const seconds = clock() - started;
    const unreadable = choice.unreadable.length
      ? `, ${choice.unreadable.length} unreadable (${choice.unreadable
          .slice(0, 3)
          .map((p) => p.error)
          .join('; ')}${choice.unreadable.length > 3 ? '; …' : ''})`
      : '';
    return {
      csv,
      seconds,
      description:
        `self-training: the --init model read the ${files.length} images in ${needs.dir}${dp ? ` over ${dp.threads} threads` : ''} in ${seconds.toFixed(0)} s; the ${choice.kept.length} read with a confidence of at least ${needs.minConfidence} join the training images, labelled with the readings (${csv})` +
        ` (${choice.unsure} less sure, ${choice.outside} with other characters or lengths${unreadable})`,
    };
  };
}
