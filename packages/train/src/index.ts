/**
 * @captcha-nn/train: the one training stack. Every model, the examples'
 * and a user's own, trains, evaluates and predicts through it; the
 * `captcha-nn` command is a thin shell over it.
 */
// The trainer and its options
export { train } from './trainer';
export type { TrainCallbacks, TrainResult, StartInfo, StepInfo, ResumeOptions } from './trainer';
export { resolveTrainOptions, mergeResumeOptions, defaultLearningRate, scheduleOf, OPTIMIZERS, SCHEDULES, RESUMABLE_OPTIONS, DEFAULTS } from './options';
export type { TrainOptions } from './options';
export { RunClock, runProgress } from './clock';
export { importModules } from './run';
export { ExponentialMovingAverage, emaDecayAt } from './ema';

// Tasks and the model registry
export { textTask, classificationTask, labelSmoothedTask, checkDecodeOptions, trainingInput, disposeInput } from './task';
export { taskFromSpec } from './taskFromSpec';
export { ctcTask, ctcLabelProblem, ctcStepsNeeded, type CTCTaskOptions } from './ctcTask';
export { seq2seqTask, previousTokens, stepTargets, decodeSteps, SEQ2SEQ_IGNORE, type Seq2seqSpec } from './seq2seqTask';
export type { Task, TaskSpec, DecodeOptions, TextLength } from './task';
export { registerModel, getModelBuilder, listModels, hasModel, checkModelOptions, buildTinyCaptcha, modelImports, VARIANTS } from './registry';
export type { ModelOptions, ModelParts, ModelBuilder, ModelSettings, ModelRegistration, Variant } from './registry';

// Data
export { openRunData, makeGenerator, openEvalFolder, dataSpecWithAbsolutePaths, GENERATORS, type PseudoLabeller, type PseudoLabelNeeds } from './data';
export type { DataSpec, FolderDataSpec, GenerateDataSpec, GeneratorName, Preprocessing, RunData, ChannelFormat } from './data';
export { registerIdxDataset, listIdxDatasets, resolveIdxSpec, openIdxSplit, idxSplitFiles } from './idxData';
export type { IdxDataSpec, IdxDatasetEntry } from './idxData';

// Scoring, evaluation and prediction
export { evaluateModel, taskLoss, textOf, AccuracyMeter } from './metrics';
export type { EvalResult, Confusion, Decoded, Reading, LengthAccuracy, EvaluateOptions, Mistake } from './metrics';
export { alignEdits, type EditOp } from './editDistance';
export { renderMistakes, writeMistakesPng, type MistakeTile, type MistakesOptions } from './mistakes';
export { evaluateRun, formatEval, type EvaluateRequest } from './evaluate';
export { applyInitDefaults, initialiseFrom, trunkKeys, TrainableParameters, readInitMetadata, type InitReport } from './init';
export { predictFiles, predictionsCsv, loadImageFor, type Prediction } from './predict';
export { TTA_KINDS, checkTta, ttaForward, type TestTimeAugmentation } from './tta';
export { PSEUDO_LABELS_FILE, choosePseudoLabels, pseudoLabeller, type PseudoLabelChoice } from './pseudoLabels';

// Saved models, checkpoints and run outputs
export { saveCaptchaModel, loadCaptchaModel, resolveModelDir } from './modelio';
export type { CaptchaModelMetadata, LoadedCaptchaModel, LoadCaptchaModelOptions } from './modelio';
export { saveCheckpoint, loadCheckpoint, readCheckpointState, CHECKPOINT_FILE } from './checkpoint';
export type { CheckpointState, BestRecord, EpochSums } from './checkpoint';
export { renderCurves, renderPanels, writeCurves, type EpochRecord, type Panel, type Series } from './curves';

// Data parallelism and progress
export { trainingWorkers, openDataParallel, type WorkerPlan, type DataParallelSetup } from './workers';
export { progressCallbacks, formatDuration, formatEpoch } from './progress';
