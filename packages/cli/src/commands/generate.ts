/** `captcha-nn generate`: the data package's command, mounted as is. */
import type { Command } from 'commander';
import { registerGenerateCommand } from '@captcha-nn/data';

export function addGenerateCommand(program: Command): Command {
  // The data package's commander is the same major version; its Command type is structurally ours.
  return registerGenerateCommand(program as never) as unknown as Command;
}
