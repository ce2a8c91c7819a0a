import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointState, type TrainOptions } from '@captcha-nn/train';
import { tempDir, runCli } from './test/helpers';

const tmp = tempDir();
afterAll(tmp.cleanup);

const run = (args: string[]) => runCli(args, ['stdout']);

describe('IDX datasets on the command line', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['two sources', ['train', '--model', 'resnet', '--dataset', 'mnist', '--generate', 'simple'], /not --generate and --dataset/],
    ['plain and residual', ['train', '--model', 'resnet', '--dataset', 'mnist', '--plain', '--residual'], /either --residual or --plain/],
    ['IDX-only flags elsewhere', ['train', '--model', 'tiny', '--generate', 'simple', '--crop-pad', '2'], /--crop-pad apply to --dataset and --data-idx only/],
    [
      'other flags with IDX data',
      ['train', '--model', 'resnet', '--dataset', 'mnist', '--size', '32x32', '--preset', 'seed'],
      /--preset, --size do not apply to IDX data/,
    ],
    ['eval flags with IDX data', ['eval', '--model', 'x', '--dataset', 'mnist', '--seed', '3'], /--seed do not apply to --dataset or --data-idx/],
    ['bad crop', ['train', '--model', 'resnet', '--dataset', 'mnist', '--crop-pad', '-1'], /expected an integer >= 0/],
    ['bad head', ['train', '--model', 'resnet', '--dataset', 'mnist', '--head', 'avg'], /Allowed choices are maxpool, gap/],
  ];
  for (const [name, args, re] of cases)
    it(name, async () => {
      const r = await run(args);
      expect(r.error?.exitCode, r.err + (r.thrown ?? '')).toBe(1);
      expect(r.err).toMatch(re);
    });

  it('an unknown dataset and a bad depth are errors naming what is known', async () => {
    const base = ['train', '--model', 'resnet', '--no-progress', '--workers', '1'];
    expect((await run([...base, '--dataset', 'cifar', '--out', join(tmp.dir, 'a')])).thrown).toMatch(/unknown dataset 'cifar' \(known: fashion-mnist, mnist/);
    expect((await run([...base, '--dataset', 'mnist', '--depth', '12', '--out', join(tmp.dir, 'b')])).thrown).toMatch(/6N\+10/);
    expect((await run([...base, '--dataset', 'mnist', '--plain', '--zero-residual', '--out', join(tmp.dir, 'c')])).thrown).toMatch(
      /zeroResidual needs residual units/,
    );
    expect((await run([...base, '--dataset', 'mnist', '--plain', '--stochastic-depth', '0.5', '--out', join(tmp.dir, 'd')])).thrown).toMatch(
      /stochasticDepth needs residual units/,
    );
  });

  it('train --stochastic-depth trains ResidualDrop units on two data-parallel workers, and the saved model reads', async () => {
    const out = join(tmp.dir, 'sd10');
    const args = ['--dataset', 'mnist', '--train-size', '64', '--val-size', '32', '--batch', '16', '--epochs', '1', '--width', '4'];
    const r = await runCli(
      ['train', '--model', 'resnet', '--depth', '10', '--stochastic-depth', '0.5', ...args, '--workers', '2', '--no-progress', '--out', out],
      ['stdout', 'stderr'],
    );
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const st = await readCheckpointState<TrainOptions>(join(out, 'checkpoint.safetensors'));
    expect(st.options.modelOptions).toEqual({ depth: 10, stochasticDepth: 0.5, width: 4 });
    expect(st.step).toBe(4);
    // Depth 10 has one unit per stage: death rates 1/3, 2/3 and 3/3 of 0.5.
    const saved = await readFile(join(out, 'best', 'model.json'), 'utf8');
    const rates = [...saved.replace(/\s+/g, '').matchAll(/"type":"ResidualDrop","args":\[([0-9.]+)\]/g)].map((m) => Number(m[1]).toFixed(4));
    expect(rates).toEqual(['0.1667', '0.3333', '0.5000']);
    const e = await run(['eval', '--model', out, '--dataset', 'mnist', '-n', '20', '--json']);
    expect(e.thrown ?? e.error?.message).toBeUndefined();
    expect((JSON.parse(e.out) as { count: number }).count).toBe(20);
  });

  it('train --model resnet --depth 10 --plain --width 8 --dataset mnist records its settings; eval scores the official test split', async () => {
    const out = join(tmp.dir, 'plain10');
    const args = ['--dataset', 'mnist', '--train-size', '64', '--val-size', '32', '--batch', '16', '--epochs', '1'];
    const r = await runCli(
      ['train', '--model', 'resnet', '--depth', '10', '--plain', '--width', '8', ...args, '--workers', '1', '--no-progress', '--out', out],
      ['stdout', 'stderr'],
    );
    expect(r.thrown ?? r.error?.message).toBeUndefined();
    const st = await readCheckpointState<TrainOptions>(join(out, 'checkpoint.safetensors'));
    expect(st.options.modelOptions).toEqual({ depth: 10, residual: false, width: 8 });
    expect(r.err).toMatch(/^model: resnet \(compact; depth 10, residual false, width 8\), [\d,]+ parameters/m);
    // The width reaches the net: the stem's first convolution has 8 output planes.
    const saved = JSON.parse(await readFile(join(out, 'best', 'model.json'), 'utf8')) as { spec: { children: Array<{ type: string; args: unknown[] }> } };
    expect(saved.spec.children[0]).toEqual({ type: 'SpatialConvolution', args: [1, 8, 3, 3, 1, 1, 1, 1] });
    expect(st.options.data).toEqual({ kind: 'idx', dataset: 'mnist', trainSize: 64, valSize: 32 });
    expect(st.step).toBe(4);
    const e = await run(['eval', '--model', out, '--dataset', 'mnist', '-n', '20', '--json']);
    expect(e.thrown ?? e.error?.message).toBeUndefined();
    const scored = JSON.parse(e.out) as { count: number; source: string };
    expect(scored.count).toBe(20);
    expect(scored.source).toBe('the first 20 of the official test split of mnist');
  });
});
