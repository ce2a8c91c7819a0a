import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// These run the built package (dist/) the way users load it: `npm test`
// builds first through turbo.
const here = fileURLToPath(new URL('.', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

function runNode(args: string[]): unknown {
  if (!existsSync(dist)) throw new Error('packages/core/dist is missing: run `npm run build` first');
  const out = execFileSync(process.execPath, args, { cwd: here, encoding: 'utf8', env: { ...process.env }, timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const body = `
  const backend = await setBackend('wasm');
  const m = new Sequential(new Linear(3, 2), new ReLU());
  const y = m.forward(tf.ones([4, 3]));
  console.log(JSON.stringify({ backend, shape: y.shape, sameEngine: tf.engine() === core.engine(), print: m.toString().split('\\n')[0] }));
`;

describe('the built package', () => {
  it('loads from a plain Node ESM script', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `import { Sequential, Linear, ReLU, tf, setBackend } from '@captcha-nn/core';
       import * as core from '@tensorflow/tfjs-core';
       ${body}`,
    ]);
    expect(r).toEqual({ backend: 'wasm', shape: [4, 2], sameEngine: true, print: 'nn.Sequential {' });
  });

  it('loads from CommonJS require', () => {
    const r = runNode([
      '-e',
      `const { Sequential, Linear, ReLU, tf, setBackend } = require('@captcha-nn/core');
       const core = require('@tensorflow/tfjs-core');
       (async () => { ${body} })();`,
    ]);
    expect(r).toEqual({ backend: 'wasm', shape: [4, 2], sameEngine: true, print: 'nn.Sequential {' });
  });

  it('prints nothing of its own on import and use, on wasm and on cpu (no tfjs-node advert)', () => {
    for (const backend of ['wasm', 'cpu']) {
      const r = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { tf, setBackend } from '@captcha-nn/core'; await setBackend('${backend}'); tf.add(tf.tensor1d([1, 2]), 1).dataSync();`,
        ],
        { cwd: here, encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr, backend).toBe('');
      expect(r.stdout, backend).toBe('');
    }
  });

  it('runs 3×3 convolutions on the Winograd kernels embedded in the package, from ESM and CommonJS', () => {
    const conv = `await setBackend('wasm');
       const x = tf.randomNormal([2, 16, 16, 16], 0, 1, 'float32', 1);
       const f = tf.randomNormal([3, 3, 16, 16], 0, 0.1, 'float32', 2);
       const y = tf.conv2d(x, f, 1, 'same');
       setWinograd('off');
       const d = tf.max(tf.abs(y.sub(tf.conv2d(x, f, 1, 'same')))).dataSync()[0];
       console.log(JSON.stringify({ calls: winogradCalls.f2 + winogradCalls.f4, close: d < 1e-4 }));`;
    const esm = runNode(['--input-type=module', '-e', `import { tf, setBackend, setWinograd, winogradCalls } from '@captcha-nn/core'; ${conv}`]);
    const cjs = runNode(['-e', `const { tf, setBackend, setWinograd, winogradCalls } = require('@captcha-nn/core'); (async () => { ${conv} })();`]);
    expect([esm, cjs]).toEqual([
      { calls: 1, close: true },
      { calls: 1, close: true },
    ]);
  });

  it('runs the threaded wasm build with 2 threads, Winograd shared across them, from ESM and CommonJS, and exits when done', () => {
    // execFileSync returns only when the process exits: XNNPACK's pool and our helpers must not keep it alive.
    const conv = `setWasmThreads(2);
       await setBackend('wasm');
       const x = tf.randomNormal([4, 24, 24, 16], 0, 1, 'float32', 1);
       const f = tf.randomNormal([3, 3, 16, 16], 0, 0.1, 'float32', 2);
       const y = tf.conv2d(x, f, 1, 'same');
       setWinograd('off');
       const d = tf.max(tf.abs(y.sub(tf.conv2d(x, f, 1, 'same')))).dataSync()[0];
       console.log(JSON.stringify({ threads: getWasmThreads(), threaded: winogradCalls.threaded, close: d < 1e-4 }));`;
    const names = 'tf, setBackend, setWasmThreads, getWasmThreads, setWinograd, winogradCalls';
    const esm = runNode(['--input-type=module', '-e', `import { ${names} } from '@captcha-nn/core'; ${conv}`]);
    const cjs = runNode(['-e', `const { ${names} } = require('@captcha-nn/core'); (async () => { ${conv} })();`]);
    expect([esm, cjs]).toEqual([
      { threads: 2, threaded: 1, close: true },
      { threads: 2, threaded: 1, close: true },
    ]);
  });

  it('falls back to one thread, saying so once, where the threaded build cannot start (here: no writable temp folder)', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { tf, setBackend, setWasmThreads, getWasmThreads } from '@captcha-nn/core';
         setWasmThreads(2);
         await setBackend('wasm');
         const y = tf.conv2d(tf.ones([1, 8, 8, 8]), tf.ones([3, 3, 8, 8]), 1, 'same');
         console.log(JSON.stringify({ threads: getWasmThreads(), centre: y.dataSync()[(4 * 8 + 4) * 8] }));`,
      ],
      { cwd: here, encoding: 'utf8', env: { ...process.env, TMPDIR: '/nonexistent-captcha-nn-tmp' }, timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ threads: 1, centre: 72 });
    expect(r.stderr.match(/wasm threads are not available here \(.*nonexistent-captcha-nn-tmp.*\); running on one thread/g)).toHaveLength(1);
  });

  it('refuses a CAPTCHA_NN_WASM_THREADS that is not 1 to 8, naming it, and takes a good one', () => {
    const script = `import { setBackend, getWasmThreads } from '@captcha-nn/core';
       await setBackend('wasm');
       console.log(JSON.stringify({ threads: getWasmThreads() }));`;
    const run = (v: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: here,
        encoding: 'utf8',
        env: { ...process.env, CAPTCHA_NN_WASM_THREADS: v },
        timeout: 60_000,
      });
    const bad = run('9');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/CAPTCHA_NN_WASM_THREADS must be an integer from 1 to 8, got '9'/);
    const good = run('2');
    expect(good.status, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout.trim())).toEqual({ threads: 2 });
  });

  it('registers gradients and chained ops in the package entry', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `import { tf, setBackend } from '@captcha-nn/core';
       await setBackend('wasm');
       const g = tf.grad((x) => tf.sum(tf.square(x.mul(2))));
       console.log(JSON.stringify(Array.from(g(tf.tensor1d([1, 2])).dataSync())));`,
    ]);
    expect(r).toEqual([8, 16]);
  });

  it('trains data-parallel over worker threads from the built package', () => {
    const r = runNode([
      '--input-type=module',
      '-e',
      `import { Sequential, Linear, Tanh, CrossEntropyCriterion, DataParallelTable, fusedBackward, manualSeed, tf, setBackend } from '@captcha-nn/core';
       await setBackend('wasm');
       manualSeed(3);
       const model = new Sequential(new Linear(6, 8), new Tanh(), new Linear(8, 3));
       const crit = new CrossEntropyCriterion();
       const x = tf.randomNormal([7, 6], 0, 1, 'float32', 1);
       const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0], 'int32');
       model.zeroGradParameters();
       const single = fusedBackward(model, crit, x, y);
       const ref = model.parameters()[1].map((g) => Array.from(g.dataSync()));
       const dp = new DataParallelTable(model, { threads: 2 });
       model.zeroGradParameters();
       const loss = await dp.backward(crit, x, y);
       const got = model.parameters()[1].map((g) => Array.from(g.dataSync()));
       await dp.dispose();
       const diff = Math.max(...got.flatMap((g, i) => g.map((v, j) => Math.abs(v - ref[i][j]))));
       console.log(JSON.stringify({ lossDiff: Math.abs(loss - single) < 1e-5, gradsClose: diff < 1e-5 }));`,
    ]);
    expect(r).toEqual({ lossDiff: true, gradsClose: true });
  });
});
