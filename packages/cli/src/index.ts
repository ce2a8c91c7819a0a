/**
 * @captcha-nn/cli: the `captcha-nn` command line, and its pieces as a
 * library (the trainer, evaluation, prediction, the model registry).
 */
export { createProgram, main } from './program';
export { train, resolveTrainOptions, mergeResumeOptions, learningRateAt, OPTIMIZERS, SCHEDULES, COSINE_FLOOR, RESUMABLE_OPTIONS, DEFAULTS } from './trainer';
export type { TrainOptions, TrainCallbacks, TrainResult, StartInfo, StepInfo, ResumeOptions } from './trainer';
export { registerModel, getModelBuilder, listModels, hasModel, buildTinyCaptcha } from './registry';
export type { CaptchaModel, CaptchaModelOptions, ModelBuilder } from './registry';
export { openRunData, makeGenerator, openEvalFolder } from './data';
export type { DataSpec, FolderDataSpec, GenerateDataSpec, Preprocessing, RunData } from './data';
export { evaluateModel, predictClasses, decodeOutput, textOf, outputProbabilities, AccuracyMeter } from './metrics';
export type { EvalResult, Confusion, Decoded, TargetFormat } from './metrics';
export { saveCaptchaModel, loadCaptchaModel, resolveModelDir } from './modelio';
export type { CaptchaModelMetadata, LoadedCaptchaModel } from './modelio';
export { saveCheckpoint, loadCheckpoint, readCheckpointState, CHECKPOINT_FILE } from './checkpoint';
export type { CheckpointState } from './checkpoint';
export { renderCurves, writeCurves, type EpochRecord } from './curves';
export { evaluateRun, formatEval, type EvaluateRequest } from './commands/eval';
export { predictFiles, loadImageFor, type Prediction } from './commands/predict';
export { trainingWorkers, openDataParallel, type WorkerPlan, type DataParallelSetup } from './workers';
export { progressCallbacks } from './progress';
