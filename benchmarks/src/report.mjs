#!/usr/bin/env node
// Renders a results JSON of run.mjs as the Markdown tables the run prints:
//   node benchmarks/src/report.mjs benchmarks/results/<date>-<host>.json
// (works on a run still in progress: the JSON is rewritten after every row).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fmtMs, fmtRatio, table } from './stats.mjs';

/** The training-step table, the ratio/inference table and the notes of a results document. */
export function renderTables(doc) {
  const { results } = doc;
  const n = doc.machine.cores;
  const steps = doc.options.steps;
  const name = (r) => r.id.slice(2);
  const out = [];
  out.push(`Training step, ms (median of n timed steps; '*' = fewer than ${steps}):\n`);
  out.push(
    table(
      ['case', 'backend', 'batch', 'ours classic', 'ours fused', 'tfjs-layers', 'PyTorch 1T', `PyTorch ${n}T`, `data-parallel (${n} workers)`],
      results.map((r) => [
        name(r),
        r.backend,
        String(r.batch),
        fmtMs(r.ours?.classic),
        fmtMs(r.ours?.fused),
        fmtMs(r.layers?.train),
        fmtMs(r.torch1?.train),
        fmtMs(r.torchAll?.train),
        fmtMs(r.dataParallel),
      ]),
    ),
  );
  out.push('\nRatios of medians (> 1 = ours slower) and batch-1 inference, ms (evaluate mode):\n');
  out.push(
    table(
      [
        'case',
        'backend',
        'classic/fused',
        'fused/PyTorch 1T',
        'classic/PyTorch 1T',
        'fused/tfjs-layers',
        `data-parallel/PyTorch ${n}T`,
        'infer ours',
        'infer ours, BN folded',
        'infer tfjs-layers',
        'infer PyTorch 1T',
      ],
      results.map((r) => [
        name(r),
        r.backend,
        fmtRatio(r.ratios.classicOverFused),
        fmtRatio(r.ratios.fusedOverTorch1),
        fmtRatio(r.ratios.classicOverTorch1),
        fmtRatio(r.ratios.fusedOverLayers),
        fmtRatio(r.ratios.dataParallelOverTorchAll ?? null),
        fmtMs(r.ours?.infer),
        fmtMs(r.ours?.inferFolded),
        fmtMs(r.layers?.infer),
        fmtMs(r.torch1?.infer),
      ]),
    ),
  );
  const get = (r, k) => k.split('.').reduce((o, p) => o?.[p], r);
  const notes = [
    ...results.flatMap((r) =>
      ['ours.classic', 'ours.fused', 'ours.infer', 'ours.inferFolded', 'dataParallel', 'layers.train', 'layers.infer', 'torch1.train', 'torchAll.train']
        .map((k) => [k, get(r, k)])
        .filter(([, m]) => m?.error || m?.skipped)
        .map(([k, m]) => `${name(r)} [${r.backend}] ${k}: ${m.error ?? m.skipped}`),
    ),
    ...results.flatMap((r) =>
      [
        ['ours classic', r.ours?.classic],
        ['ours fused', r.ours?.fused],
        ['data-parallel', r.dataParallel],
        ['tfjs-layers', r.layers?.train],
      ]
        .filter(([, m]) => m?.tensorsPerStep > 0)
        .map(([k, m]) => `${name(r)} [${r.backend}] ${k}: ${m.tensorsPerStep} tensors leaked per step`),
    ),
    ...(doc.skipped ?? []),
    ...(JSON.stringify(results).includes('Aborted()')
      ? ['Aborted(): the wasm heap (4 GiB at most) ran out; the wasm module is dead for the rest of that process']
      : []),
  ];
  const unique = [...new Set(notes)];
  if (unique.length) out.push(`\nNotes:\n${unique.map((s) => `- ${s}`).join('\n')}`);
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node src/report.mjs results/<file>.json');
    process.exit(2);
  }
  console.log(renderTables(JSON.parse(readFileSync(file, 'utf8'))));
}
