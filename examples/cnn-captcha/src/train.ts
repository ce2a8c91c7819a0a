/**
 * Trains the captcha CNN on freshly generated captchas and prints loss,
 * per-character and whole-captcha accuracy per epoch.
 *
 *   node dist/train.js --variant compact --epochs 10 --batch 32 --lr 0.002 \
 *     --train-size 10000 --test-size 1000 --seed 1 --preset seed --generator simple
 */
import { buildCnnCaptcha } from './index';
import { runTrainScript } from './script';

await runTrainScript(buildCnnCaptcha);
