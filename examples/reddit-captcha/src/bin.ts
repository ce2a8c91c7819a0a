#!/usr/bin/env node
import { Command } from 'commander';
import { registerRedditCommands } from './cli';
import './index';

const program = new Command('captcha-nn-reddit').description("reddit's old captcha, the 2016 series' route: segment letters, then vote over renders");
registerRedditCommands(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(1);
});
