/**
 * The `train` scripts' command line, shared by the captcha examples: parses
 * the options (`--help` lists them), trains the given model with
 * `trainCaptcha`, and prints the model and a final summary.
 */
import { parseArgs } from 'node:util';
import { setBackend, tf } from '@captcha-nn/core';
import type { CaptchaModel, CaptchaModelOptions } from './index';
import { defaultTrainOptions as d, trainCaptcha, type TrainOptions } from './loop';

const HELP =
  'options: --variant seed|compact --epochs N --batch N --lr X --optimizer adam|sgd --train-size N --test-size N\n' +
  '         --fresh (new images each epoch) --seed N --preset seed|variable|hard --generator simple|svg --length N\n' +
  '         --time-limit MINUTES --clock wall|cpu --schedule cosine|none --weight-decay X --backend wasm|cpu|...';

function num(name: string, s: string | undefined): number {
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got '${s}'`);
  return n;
}
function oneOf<T extends string>(name: string, s: string | undefined, allowed: readonly T[]): T {
  if (!allowed.includes(s as T)) throw new Error(`--${name}: expected one of ${allowed.join(', ')}, got '${s}'`);
  return s as T;
}

/**
 * Parses train-script arguments into training options and the backend name;
 * `null` when `--help` was asked for. Throws on a malformed value.
 */
export function parseTrainArgs(args: string[] = process.argv.slice(2)): { options: TrainOptions; backend: string | undefined } | null {
  const { values: v } = parseArgs({
    args,
    options: {
      variant: { type: 'string', default: d.variant },
      epochs: { type: 'string', default: String(d.epochs) },
      batch: { type: 'string', default: String(d.batch) },
      lr: { type: 'string', default: String(d.lr) },
      optimizer: { type: 'string', default: d.optimizer },
      'train-size': { type: 'string', default: String(d.trainSize) },
      'test-size': { type: 'string', default: String(d.testSize) },
      fresh: { type: 'boolean', default: false },
      seed: { type: 'string', default: String(d.seed) },
      preset: { type: 'string', default: d.preset },
      generator: { type: 'string', default: d.generator },
      length: { type: 'string', default: String(d.length) },
      'time-limit': { type: 'string', default: '0' },
      clock: { type: 'string', default: d.clock },
      schedule: { type: 'string', default: d.schedule },
      'weight-decay': { type: 'string', default: String(d.weightDecay) },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) return null;
  const options: TrainOptions = {
    variant: oneOf('variant', v.variant, ['seed', 'compact'] as const),
    epochs: num('epochs', v.epochs),
    batch: num('batch', v.batch),
    lr: num('lr', v.lr),
    optimizer: oneOf('optimizer', v.optimizer, ['adam', 'sgd'] as const),
    trainSize: num('train-size', v['train-size']),
    testSize: num('test-size', v['test-size']),
    fresh: v.fresh!,
    seed: num('seed', v.seed),
    preset: oneOf('preset', v.preset, ['seed', 'variable', 'hard'] as const),
    generator: oneOf('generator', v.generator, ['simple', 'svg'] as const),
    length: num('length', v.length),
    timeLimit: num('time-limit', v['time-limit']),
    clock: oneOf('clock', v.clock, ['wall', 'cpu'] as const),
    schedule: oneOf('schedule', v.schedule, ['cosine', 'none'] as const),
    weightDecay: num('weight-decay', v['weight-decay']),
  };
  return { options, backend: v.backend };
}

/**
 * A train script's body: parses `args` (`--help` prints the options), sets
 * the backend, trains the model `build` makes, and prints it and the final
 * accuracy.
 */
export async function runTrainScript(build: (o: CaptchaModelOptions) => CaptchaModel, args: string[] = process.argv.slice(2)): Promise<void> {
  const parsed = parseTrainArgs(args);
  if (!parsed) {
    console.log(HELP);
    return;
  }
  const { options: opts } = parsed;
  const backend = await setBackend(parsed.backend);
  console.log(`backend ${backend}; ${JSON.stringify(opts)}`);
  const t0 = Date.now();
  const { reports, model } = await trainCaptcha(build, opts);
  const last = reports[reports.length - 1]!;
  console.log(model.model.toString());
  console.log(
    `done: ${reports.length} epochs, ${((Date.now() - t0) / 1000).toFixed(0)} s wall; final char ${(100 * last.charAccuracy).toFixed(2)}%, ` +
      `captcha ${(100 * last.captchaAccuracy).toFixed(2)}% on ${opts.testSize} held-out images; tensors ${tf.memory().numTensors}`,
  );
}
