/**
 * @captcha-nn/example-reddit-captcha: reddit's old captcha broken by the
 * 2016 series' route. Each render is denoised by intensity and cut into
 * letters by connected components; a small CNN classifies each letter; the
 * letters' log-probabilities are summed over many renders of the same text.
 * Importing the package registers the letter model as `reddit-letter` and
 * the whole-image reader as `reddit-ctc`.
 */
import { registerModel } from '@captcha-nn/train';
import { buildRedditCtc } from './ctcModel';
import { buildRedditLetter } from './model';

export { type Component, type Mask, connectedComponents, componentOf, componentWidth, componentHeight } from './components';
export { denoise, inkImage } from './denoise';
export { writeDenoisedFolder } from './denoiseFolder';
export { segmentCaptcha, REDDIT_SEGMENTATION, type SegmentOptions, type Segmentation } from './segment';
export { letterImage, LETTER_SIZE } from './letterImage';
export { lettersOf, writeLetterFolder, REDDIT_WIDTH, REDDIT_HEIGHT, type LettersSummary } from './letters';
export { readRenderFolder, readRender, type RenderedText } from './renders';
export { letterLogProbs } from './classify';
export { voteText, positionalReading, ctcReading, type RenderReading } from './vote';
export {
  evaluateVotes,
  formatVoteEvaluation,
  letterReader,
  SERIES_POINTS,
  type RenderReader,
  type VoteEvaluation,
  type AccuracyAtK,
  type VoteEvaluationOptions,
} from './evaluate';
export { plotAccuracyByK } from './plot';
export { wholeImageReader } from './wholeImage';
export { registerRedditCommands, readSegmentation } from './cli';
export {
  tuneSegmentation,
  coordinateAscent,
  changedSettings,
  type TrialScore,
  SEGMENTATION_GRID,
  type TuningGrid,
  type TuningTrial,
  type TuningResult,
  type TuneOptions,
} from './tune';
export { buildRedditLetter, buildRedditCtc };

registerModel('reddit-letter', buildRedditLetter, 'a small CNN reading one segmented letter (examples/reddit-captcha)');
registerModel('reddit-ctc', buildRedditCtc, 'a convolutional CTC reader with no LSTM, for whole renders of few distinct texts (examples/reddit-captcha)');
