#!/usr/bin/env node
// The installed command. It exists before any build, so `npm ci` links it into
// node_modules/.bin; the program itself is the build's dist/bin.js.
import { existsSync } from 'node:fs';

const program = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(program)) {
  process.stderr.write('captcha-nn-reddit: not built yet (examples/reddit-captcha/dist is missing): run `npm run build` first\n');
  process.exit(1);
}
await import(program.href);
