#!/usr/bin/env node
// Plain against residual, one PNG per depth: node scripts/plot.mjs --out DIR RUN_DIR...
// (build the package first: npm run build -w @captcha-nn/example-resnet-mnist)
import { parseArgs } from 'node:util';
import { plotComparisons, readRun } from '../dist/index.js';

const { values, positionals } = parseArgs({ options: { out: { type: 'string', default: '.' } }, allowPositionals: true });
if (positionals.length < 2) {
  process.stderr.write('usage: node scripts/plot.mjs [--out DIR] RUN_DIR RUN_DIR... (a plain and a residual run of each depth)\n');
  process.exit(2);
}
const runs = await Promise.all(positionals.map(readRun));
const written = await plotComparisons(runs, values.out);
for (const r of runs) process.stderr.write(`${r.dir}: ${r.residual ? 'residual' : 'plain'} ${r.depth} on ${r.data}, ${r.records.length} epochs\n`);
if (written.length === 0) {
  process.stderr.write('no depth has both a plain and a residual run\n');
  process.exit(1);
}
for (const f of written) process.stdout.write(`${f}\n`);
