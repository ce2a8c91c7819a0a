import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, ready, type Tensor } from '@captcha-nn/core';
import { createRng } from '@captcha-nn/data';
import { loadCaptchaModel, readCheckpointState } from '@captcha-nn/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_ARGS, tempDir } from './test/helpers';

// kill -9 at random moments of a real training run, many of them while a checkpoint, best/ or the
// metrics are being written. After each kill the newest checkpoint must load and --resume must go on;
// in the end the weights, the metrics and best/ are those of a run never killed.
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');
const tmp = tempDir();
afterAll(tmp.cleanup);
beforeAll(async () => {
  await ready();
});
const KILLS = 20;
// Short epochs, so that an epoch's end (validation, best/, metrics, curves, checkpoint) comes every few hundred ms.
// Each session runs at most 5 of the 100 epochs, so the run outlasts the kills.
const ARGS = [
  'train',
  '--model',
  'tiny',
  ...TINY_ARGS,
  '--train-size',
  '16',
  '--val-size',
  '8',
  '--batch',
  '8',
  '--epochs',
  '100',
  '--workers',
  '1',
  '--seed',
  '9',
  '--no-progress',
];

function start(out: string, resume: boolean): { child: ChildProcess; epochs: () => number; epochSeconds: () => number; done: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...(resume ? ['train', '--resume', '--out', out, '--no-progress'] : [...ARGS, '--out', out])], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  // When each epoch's line came: the kills land within an epoch, whatever the machine's speed.
  const ends: number[] = [];
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    const before = (err.match(/^epoch \d+\/100 {2}loss/gm) ?? []).length;
    err += s;
    const after = (err.match(/^epoch \d+\/100 {2}loss/gm) ?? []).length;
    for (let i = before; i < after; i++) ends.push(performance.now());
  });
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const epochSeconds = () => (ends.length >= 2 ? (ends.at(-1)! - ends.at(-2)!) / 1000 : 0.1);
  return { child, epochs: () => ends.length, epochSeconds, done };
}

/** metrics.jsonl without its wall-clock fields. */
const epochLines = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map(({ seconds: _s, samplesPerSecond: _p, time: _t, ...rest }) => rest);

async function tensors(path: string): Promise<Record<string, number[]>> {
  const { tensors: ts } = await loadSafetensors(path);
  return Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, Array.from((t as Tensor).dataSync())]));
}

describe('kill -9 during training', () => {
  it(`${KILLS} kills at random moments, then --resume: the checkpoint always loads and the run ends as one never killed`, async () => {
    const clean = join(tmp.dir, 'clean');
    expect(await start(clean, false).done).toBe(0);

    const out = join(tmp.dir, 'killed');
    const rng = createRng('kill9', 1);
    let kills = 0;
    let sessions = 0;
    for (;;) {
      const resume = existsSync(join(out, 'checkpoint.safetensors'));
      if (resume) {
        // The newest checkpoint is whole: its header parses and its tensors load.
        const st = await readCheckpointState(join(out, 'checkpoint.safetensors'));
        expect(st.format).toBe('captcha-nn-checkpoint');
        await tensors(join(out, 'checkpoint.safetensors'));
      }
      const s = start(out, resume);
      sessions++;
      if (kills >= KILLS) {
        expect(await s.done).toBe(0);
        break;
      }
      // Wait for 2 to 4 epoch ends, then kill at a random point of the next epoch: its steps or its writes.
      const wanted = 2 + Math.floor(rng() * 3);
      const within = rng();
      const finished = await new Promise<boolean>((resolve) => {
        const timer = setInterval(() => {
          if (s.child.exitCode !== null) {
            clearInterval(timer);
            resolve(true);
          } else if (s.epochs() >= wanted) {
            clearInterval(timer);
            setTimeout(() => resolve(false), within * s.epochSeconds() * 1000);
          }
        }, 5);
      });
      if (finished) break;
      s.child.kill('SIGKILL');
      await s.done;
      kills++;
    }
    expect(kills).toBe(KILLS);
    expect(sessions).toBeGreaterThan(KILLS);

    const a = await tensors(join(clean, 'checkpoint.safetensors'));
    const b = await tensors(join(out, 'checkpoint.safetensors'));
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(b[k], k).toEqual(a[k]);
    expect(await tensors(join(out, 'best', 'weights.safetensors'))).toEqual(await tensors(join(clean, 'best', 'weights.safetensors')));
    const [best, cleanBest] = [await loadCaptchaModel(out), await loadCaptchaModel(clean)];
    expect(best.metadata.training.epoch).toBe(cleanBest.metadata.training.epoch);
    best.model.dispose();
    cleanBest.model.dispose();
    expect(epochLines(out)).toEqual(epochLines(clean));
  });
});
