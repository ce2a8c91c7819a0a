/**
 * What a fine-tune on a folder of labelled captchas trains with unless told
 * otherwise: the recipe measured on three schemes we do not draw, at 500
 * labels (docs/data.md, "A fine-tune's defaults").
 */
import { folderFingerprint } from '@captcha-nn/data';
import { DEFAULT_VAL_SPLIT, type DataSpec, type FolderDataSpec } from './data';
import { DEFAULTS, type TrainOptions } from './options';

/** Images a fine-tune trains on by default: the 500-label recipe's 800 steps of 32 (50 epochs). */
const FINE_TUNE_SAMPLES = 25_600;
/** The most epochs that rule gives (512 or fewer images trained on); it never gives fewer than the usual 10. */
const MOST_EPOCHS = 50;
/** With fewer images than this, a fine-tune trains on all of them: a tenth would be too few to choose an epoch by. */
const FINE_TUNE_ALL_BELOW = 1000;
/**
 * Minutes a fine-tune on that few images trains by default (reading `--unlabelled` images included): issue #18's
 * budget for a few hundred labels is 10 for the whole command, and start-up, the last step and saving add seconds.
 * The 500-label recipe takes 5–8 minutes on the faster of our 2-core machines and would overrun the budget on the
 * slower.
 */
const FEW_LABELS_MINUTES = 9.5;

/**
 * A run's options with a fine-tune's defaults filled in, and the flags that
 * chose them (for the log). Only a run with `init` on a `folder` changes,
 * and only in what it leaves unset:
 * - `--augment light` (light affine jitter and contrast);
 * - `--schedule cosine`;
 * - `--val-split 0` when the folder holds fewer than 1,000 images and no
 *   `--val` folder is given;
 * - `--time-limit 9.5` when it holds fewer than 1,000 images: the schedule
 *   anneals over whichever of the epochs and the 9.5 minutes ends first;
 * - `--epochs` for about 25,600 images seen (800 steps of 32), 10 to 50
 *   epochs, unless the run self-trains (`--unlabelled`), whose epochs grow
 *   with the readings.
 */
export async function fineTuneDefaults<O extends Partial<TrainOptions>>(o: O): Promise<{ options: O; chosen: string[] }> {
  const spec = o.data;
  if (o.init === undefined || spec?.kind !== 'folder') return { options: o, chosen: [] };
  const chosen: string[] = [];
  const data: FolderDataSpec & DataSpec = { ...spec };
  if (data.augment === undefined) {
    data.augment = 'light';
    chosen.push('--augment light');
  }
  if (o.schedule === undefined) chosen.push('--schedule cosine');
  const images = (await folderFingerprint(spec.dir)).files;
  const few = images < FINE_TUNE_ALL_BELOW;
  if (data.val === undefined && data.valSplit === undefined && few) {
    data.valSplit = 0;
    chosen.push('--val-split 0');
  }
  let timeLimit = o.timeLimit;
  if (timeLimit === undefined && few) {
    timeLimit = FEW_LABELS_MINUTES;
    chosen.push(`--time-limit ${timeLimit}`);
  }
  let epochs = o.epochs;
  if (epochs === undefined && data.unlabelled === undefined) {
    const trained = data.val !== undefined ? images : Math.round(images * (1 - (data.valSplit ?? DEFAULT_VAL_SPLIT)));
    epochs = Math.min(MOST_EPOCHS, Math.max(DEFAULTS.epochs, Math.ceil(FINE_TUNE_SAMPLES / Math.max(1, trained))));
    if (epochs !== DEFAULTS.epochs) chosen.push(`--epochs ${epochs}`);
  }
  return {
    options: { ...o, data, schedule: o.schedule ?? 'cosine', ...(epochs !== undefined ? { epochs } : {}), ...(timeLimit !== undefined ? { timeLimit } : {}) },
    chosen,
  };
}
