/**
 * @captcha-nn/example-seq2seq-captcha: solvers for captchas of varying length
 * (issue #13). Importing the package registers its models with
 * @captcha-nn/train: `ctc` (CNN + BiLSTM + CTC).
 */
export { buildCtcCaptcha } from './ctc';
