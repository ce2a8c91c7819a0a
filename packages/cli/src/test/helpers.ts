import { type Command, CommanderError } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProgram } from '../program';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'captcha-nn-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Small, quick captchas on the command line: 48x16, two characters from four. */
export const TINY_ARGS = ['--generate', 'simple', '--size', '48x16', '--length', '2', '--charset', 'ab12', '--val-size', '16'];

/** What `runCli` returns: commander's own output, what the commands wrote where captured, and how it ended. */
export interface CliRun {
  err: string;
  out: string;
  error?: CommanderError;
  thrown?: string;
}

/**
 * Runs `captcha-nn ARGS` in-process with commander's exits turned into
 * returns. `capture` also collects what the commands write to
 * process.stdout (into `out`) and process.stderr (into `err`).
 */
export async function runCli(args: string[], capture: ReadonlyArray<'stdout' | 'stderr'> = []): Promise<CliRun> {
  let err = '';
  let out = '';
  const program = createProgram();
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (out += s) });
    c.commands.forEach(quiet);
  };
  quiet(program);
  const write = process.stdout.write;
  const writeErr = process.stderr.write;
  if (capture.includes('stdout')) process.stdout.write = ((s: string) => ((out += s), true)) as never;
  if (capture.includes('stderr')) process.stderr.write = ((s: string) => ((err += s), true)) as never;
  try {
    await program.parseAsync(['node', 'captcha-nn', ...args]);
    return { err, out };
  } catch (e) {
    if (e instanceof CommanderError) return { err, out, error: e };
    return { err, out, thrown: (e as Error).message };
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
}
