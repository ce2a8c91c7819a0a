/**
 * Trains the captcha CNN+RNN on freshly generated captchas and prints loss,
 * per-character and whole-captcha accuracy per epoch (the CNN example's loop
 * and options).
 *
 *   node dist/train.js --variant compact --epochs 10 --batch 32 --lr 0.002 \
 *     --train-size 10000 --test-size 1000 --seed 1 --preset seed --generator simple
 */
import { runTrainScript } from '@captcha-nn/example-cnn-captcha';
import { buildCrnnCaptcha } from './index';

await runTrainScript(buildCrnnCaptcha);
