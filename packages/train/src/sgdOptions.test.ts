import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint';
import { resolveTrainOptions, type TrainOptions } from './options';
import { TINY_DATA, tempDir, tensorsOf } from './test/helpers';
import { train } from './trainer';

const tmp = tempDir();
afterAll(tmp.cleanup);

const sgdRun = (out: string, extra: Partial<TrainOptions>): Partial<TrainOptions> & { out: string } => ({
  model: 'tiny',
  data: TINY_DATA,
  epochs: 1,
  batchSize: 8,
  lr: 0.05,
  optim: 'sgd',
  seed: '3',
  backend: 'wasm',
  out: join(tmp.dir, out),
  ...extra,
});

describe("train: SGD's dampening and Nesterov momentum", () => {
  it('are checked: sgd only, dampening in [0, 1], Nesterov with dampening 0', () => {
    const o = { model: 'tiny', data: TINY_DATA, out: join(tmp.dir, 'x') };
    expect(() => resolveTrainOptions({ ...o, optim: 'adam', dampening: 0 })).toThrow(/--dampening applies to --optim sgd only, not adam/);
    expect(() => resolveTrainOptions({ ...o, optim: 'sgd', dampening: 1.5 })).toThrow(/--dampening must be in \[0, 1\), got 1.5/);
    expect(() => resolveTrainOptions({ ...o, optim: 'sgd', nesterov: true })).toThrow(
      /--nesterov needs a momentum > 0 and --dampening 0 \(got momentum 0.9, dampening unset/,
    );
    expect(() => resolveTrainOptions({ ...o, optim: 'adam', momentum: 0.5 })).toThrow(/--momentum applies to --optim sgd only/);
    expect(resolveTrainOptions({ ...o, optim: 'sgd', dampening: 0, nesterov: true })).toMatchObject({ momentum: 0.9, dampening: 0, nesterov: true });
  });

  it('reach the optimizer: each changes the trained weights, and the run records them', async () => {
    const torch = await train(sgdRun('torch', {}));
    const pytorch = await train(sgdRun('pytorch', { dampening: 0 }));
    const nesterov = await train(sgdRun('nesterov', { dampening: 0, nesterov: true }));
    expect(torch.step).toBeGreaterThan(1); // dampening matters from the second step on
    const weights = async (r: { checkpoint: string }) => {
      const t = await tensorsOf(r.checkpoint);
      return Object.keys(t)
        .filter((k) => !k.startsWith('optim/'))
        .sort()
        .flatMap((k) => Array.from(t[k]!));
    };
    const [a, b, c] = await Promise.all([torch, pytorch, nesterov].map(weights));
    expect(b).not.toEqual(a);
    expect(c).not.toEqual(b);
    expect((await readCheckpointState<TrainOptions>(nesterov.checkpoint)).options).toMatchObject({ optim: 'sgd', momentum: 0.9, dampening: 0, nesterov: true });
  });
});
