/**
 * @captcha-nn/cli: the `captcha-nn` command line, a thin shell over
 * @captcha-nn/train (the trainer, evaluation, prediction, the registry).
 */
export { createProgram, main } from './program';
export { isPretrainedName, PRETRAINED, pretrainedDir, resolveModelArg, type PretrainedName } from './pretrained';
