#!/usr/bin/env node
import { Command } from 'commander';
import { registerGenerateCommand } from './cli';

const program = new Command('captcha-nn-data').description('captcha-nn data tools');
registerGenerateCommand(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
