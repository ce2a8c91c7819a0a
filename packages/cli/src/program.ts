/** The `captcha-nn` commander program: train, eval, predict, generate. */
import { Command } from 'commander';
// The example packages register their models (cnn, crnn, resnet, reddit-letter) and datasets (mnist, fashion-mnist) when imported.
import '@captcha-nn/example-cnn-captcha';
import '@captcha-nn/example-reddit-captcha';
import '@captcha-nn/example-rnn-captcha';
import '@captcha-nn/example-resnet-mnist';
import '@captcha-nn/example-seq2seq-captcha';
import { addEvalCommand } from './commands/eval';
import { addGenerateCommand } from './commands/generate';
import { addPredictCommand } from './commands/predict';
import { addTrainCommand } from './commands/train';

export function createProgram(): Command {
  const program = new Command('captcha-nn')
    .description('Train, evaluate and run captcha solvers built on @captcha-nn/core; generate captchas.')
    .showHelpAfterError('(add --help for usage)');
  addTrainCommand(program);
  addEvalCommand(program);
  addPredictCommand(program);
  addGenerateCommand(program);
  return program;
}

/** Runs the CLI on argv; errors thrown by a command are printed as one line, exit code 1. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
