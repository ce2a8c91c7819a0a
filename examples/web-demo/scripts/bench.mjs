// The web demo's numbers for docs/results.md: for each browser backend, the shipped model's
// inference time at batch 1 in Chromium (median of 50 reads) and in-browser training samples/s
// (batch 8, median of steps 6–25); then the same model under Node wasm (the same read at batch 1,
// and `captcha-nn train` at batch 8 on one thread). Not a test: it prints a table.
//
//   npm run build -w @captcha-nn/example-web-demo && node examples/web-demo/scripts/bench.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend, tf } from '@captcha-nn/core';
import { decodeImage, normalizeInto, readImageFile } from '@captcha-nn/data';
import { loadCaptchaModel } from '@captcha-nn/train';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`bench: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const port = await new Promise((r) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => r(p));
  });
});

const rows = [];
// --node-only: skip Chromium (the browser rows take minutes on software WebGL/WebGPU).
if (!process.argv.includes('--node-only')) {
  const outDir = await mkdtemp(join(tmpdir(), 'captcha-nn-web-bench-'));
  await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({ root, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true } });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--enable-unsafe-webgpu'],
  });
  try {
    for (const backend of ['wasm', 'webgl', 'webgpu']) {
      const page = await browser.newPage();
      await page.goto(server.resolvedUrls.local[0]);
      await page.waitForSelector('#load-status[data-ready=true]', { timeout: 120_000 });
      const why = await page.textContent(`#why-${backend}`);
      if (why !== 'available') {
        rows.push({ where: `Chromium ${backend}`, inference: '-', training: '-', note: why });
        await page.close();
        continue;
      }
      await page.check(`input[name=backend][value=${backend}]`);
      await page.waitForSelector(`#backend-status[data-backend=${backend}]`, { timeout: 120_000 });
      const t = await page.evaluate(() => window.captchaDemo.timeReads(50));
      console.error(`bench: ${backend}: inference ${t.median.toFixed(1)} ms; training…`);
      await page.fill('#batch', '8');
      await page.click('#train-start');
      // 25 steps, or a training error, or 5 minutes: whichever comes first (SwiftShader WebGL trains slowly).
      await page
        .waitForFunction(
          () => Number(document.getElementById('train-step').textContent) >= 25 || document.getElementById('train-status').className === 'wrong',
          undefined,
          { timeout: 300_000 },
        )
        .catch(() => undefined);
      if (await page.isEnabled('#train-stop')) await page.click('#train-stop');
      const status = await page.textContent('#train-status');
      const speeds = await page.evaluate(() => window.captchaDemo.curves.samplesPerSecond.slice(5, 25));
      const training = speeds.length ? `${median(speeds).toFixed(1)} samples/s` : '-';
      const steps = await page.textContent('#train-step');
      rows.push({ where: `Chromium ${t.backend}`, inference: `${t.median.toFixed(1)} ms`, training, note: `${steps} training steps; ${status}` });
      console.error(`bench: ${backend}: ${JSON.stringify(rows.at(-1))}`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

// Node wasm: the same work as the page's read (input tensor, forward, softmax, per-position
// results downloaded) at batch 1, and the CLI's trainer at batch 8 on one thread.
await setBackend('wasm');
const m = await loadCaptchaModel(join(root, 'public/model'));
const index = JSON.parse(readFileSync(join(root, 'public/captchas/index.json'), 'utf8'));
const { height: H, width: W, channels: C } = m.metadata.input;
const img = await decodeImage(await readImageFile(join(root, 'public/captchas', index.files[0].file)), { channels: 'gray' });
const input = new Float32Array(H * W * C);
normalizeInto(img.data, C, 'unit', input, 0);
const readOnce = () => {
  const t0 = performance.now();
  const x = tf.tensor4d(input, [1, H, W, C]);
  m.task.decode(m.model.forward(x));
  x.dispose();
  return performance.now() - t0;
};
readOnce();
const times = Array.from({ length: 50 }, readOnce);
const runDir = await mkdtemp(join(tmpdir(), 'captcha-nn-web-bench-run-'));
const run = join(runDir, 'run');
const trained = spawnSync(
  process.execPath,
  [
    resolve(root, '../../packages/cli/dist/bin.js'),
    'train',
    '--model',
    'crnn',
    '--variant',
    'compact',
    '--generate',
    'simple',
    '--train-size',
    '200',
    '--val-size',
    '8',
    '--epochs',
    '1',
    '--batch',
    '8',
    '--workers',
    '1',
    '--backend',
    'wasm',
    '--no-progress',
    '--out',
    run,
  ],
  { encoding: 'utf8' },
);
const log = `${trained.stdout}${trained.stderr}`;
await rm(runDir, { recursive: true, force: true });
const nodeSpeed = /epoch 1\/1 .* ([\d.]+) samples\/s/.exec(log)?.[1] ?? '?';
rows.push({
  where: 'Node wasm',
  inference: `${median(times).toFixed(1)} ms`,
  training: `${nodeSpeed} samples/s`,
  note: 'captcha-nn train, 1 thread',
});

console.log('| where | inference, batch 1 (median of 50) | training, batch 8 | note |\n| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.where} | ${r.inference} | ${r.training} | ${r.note} |`);
