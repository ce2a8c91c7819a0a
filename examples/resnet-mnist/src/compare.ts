/**
 * Plain against residual: the training and test error per epoch of two runs
 * of the same depth on the same data, from their metrics.jsonl, as one PNG
 * (the train package's chart renderer).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINT_FILE, readCheckpointState, renderPanels, type EpochRecord, type Panel, type TrainOptions } from '@captcha-nn/train';
import { resnetSettings } from './settings';

export interface RunCurves {
  dir: string;
  depth: number;
  residual: boolean;
  /** The data's name: the dataset, or the IDX folder. */
  data: string;
  records: EpochRecord[];
}

/** A resnet run's settings (from its checkpoint) and its epoch records. */
export async function readRun(dir: string): Promise<RunCurves> {
  const checkpoint = join(dir, CHECKPOINT_FILE);
  if (!existsSync(checkpoint)) throw new Error(`${dir}: no ${CHECKPOINT_FILE} (not a training run folder)`);
  const { options } = await readCheckpointState<TrainOptions>(checkpoint);
  if (options.model !== 'resnet') throw new Error(`${dir}: a run of '${options.model}', not resnet`);
  const s = resnetSettings(options.modelOptions);
  const d = options.data;
  const data = d.kind === 'idx' ? (d.dataset ?? d.dir ?? 'idx') : d.kind === 'folder' ? d.dir : `generated ${d.generator}`;
  const text = existsSync(join(dir, 'metrics.jsonl')) ? await readFile(join(dir, 'metrics.jsonl'), 'utf8') : '';
  const records = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EpochRecord)
    .filter((r) => r.type === 'epoch');
  return { dir, depth: s.depth, residual: s.residual, data, records };
}

const errorOf = (accuracy: number | null) => (accuracy === null ? NaN : 100 * (1 - accuracy));

/** Error (%) and training loss per epoch: plain in red, residual in blue; training dashed, test solid. */
export function comparisonPanels(plain: EpochRecord[], residual: EpochRecord[], title: string): Panel[] {
  const points = (rs: EpochRecord[], f: (r: EpochRecord) => number): Array<[number, number]> => rs.map((r) => [r.epoch, f(r)]);
  const runs = [
    { name: 'plain', color: '#d62728', records: plain },
    { name: 'residual', color: '#1f77b4', records: residual },
  ];
  return [
    {
      title: `${title}: error (%)`,
      yScale: 'log',
      series: runs.flatMap((r) => [
        { name: `${r.name} train`, color: r.color, dashed: true, points: points(r.records, (e) => errorOf(e.trainCharAccuracy)) },
        { name: `${r.name} test`, color: r.color, points: points(r.records, (e) => errorOf(e.valCaptchaAccuracy)) },
      ]),
    },
    {
      title: 'training loss',
      series: runs.map((r) => ({ name: `${r.name}`, color: r.color, dashed: true, points: points(r.records, (e) => e.trainLoss) })),
    },
  ];
}

/**
 * One PNG per (data, depth) that has both a plain and a residual run:
 * `<outDir>/plain-vs-residual-<data>-<depth>.png`. Returns the files written.
 */
export async function plotComparisons(runs: RunCurves[], outDir: string): Promise<string[]> {
  const groups = new Map<string, { plain?: RunCurves; residual?: RunCurves }>();
  for (const r of runs) {
    const key = JSON.stringify([r.data, r.depth]);
    const g = groups.get(key) ?? {};
    const kind = r.residual ? 'residual' : 'plain';
    if (g[kind]) throw new Error(`two ${kind} runs of depth ${r.depth} on ${r.data}: ${g[kind]!.dir} and ${r.dir}`);
    g[kind] = r;
    groups.set(key, g);
  }
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [key, g] of groups) {
    const [data, depth] = JSON.parse(key) as [string, number];
    if (!g.plain || !g.residual) continue;
    const name = `${data.replace(/[^\w-]+/g, '_')}-${depth}`;
    const file = join(outDir, `plain-vs-residual-${name}.png`);
    await writeFile(file, renderPanels(comparisonPanels(g.plain.records, g.residual.records, `${depth} layers, ${data}`)));
    written.push(file);
  }
  return written;
}
