import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A browser bundle of the built package, run in headless Chromium (Debian's
// `chromium`, which .ci/run installs). The wasm binaries are served beside
// the bundle, as an app would serve them.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const wasmDir = fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));
const rootWasmDir = fileURLToPath(new URL('../../../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));

let server: Server;
let url = '';
let dir = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  dir = await mkdtemp(join(tmpdir(), 'captcha-nn-browser-'));
  const result = await build({
    stdin: {
      contents: `
        import { Sequential, Linear, ReLU, tf, setBackend, setWinograd, winogradCalls } from '@captcha-nn/core';
        window.run = async (backend) => {
          const used = await setBackend(backend);
          const m = new Sequential(new Linear(3, 2), new ReLU());
          const x = tf.ones([4, 3]);
          const y = m.forward(x);
          m.backward(x, tf.onesLike(y));
          return { backend: used, shape: y.shape, grads: m.parameters()[1].length };
        };
        // A main thread may not compile the Winograd module synchronously: the first 3×3
        // convolutions stay on XNNPACK while it compiles, later ones take it.
        window.winograd = async () => {
          await setBackend('wasm');
          const x = tf.randomNormal([2, 16, 16, 16], 0, 1, 'float32', 1);
          const f = tf.randomNormal([3, 3, 16, 16], 0, 0.1, 'float32', 2);
          let y;
          for (let i = 0; i < 100 && winogradCalls.f2 + winogradCalls.f4 === 0; i++) {
            y?.dispose();
            y = tf.conv2d(x, f, 1, 'same');
            await new Promise((r) => setTimeout(r, 20));
          }
          setWinograd('off');
          const d = tf.max(tf.abs(y.sub(tf.conv2d(x, f, 1, 'same')))).dataSync()[0];
          setWinograd('auto');
          return { calls: winogradCalls.f2 + winogradCalls.f4, close: d < 1e-4 };
        };`,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'js',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  await writeFile(join(dir, 'bundle.js'), result.outputFiles[0].contents);
  const html = '<!doctype html><script type="module" src="bundle.js"></script>';
  const wasm = existsSync(wasmDir) ? wasmDir : rootWasmDir;
  server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0].slice(1);
    if (name === '' || name === 'index.html') return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    if (name === 'bundle.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dir, 'bundle.js')));
    if (name.endsWith('.wasm') && existsSync(join(wasm, name)))
      return res.writeHead(200, { 'content-type': 'application/wasm' }).end(readFileSync(join(wasm, name)));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
});

afterAll(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a browser bundle of the package', () => {
  it('imports, runs forward and backward in Chromium on cpu and wasm', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(url);
      await page.waitForFunction(() => typeof (window as unknown as { run?: unknown }).run === 'function');
      const run = (b: string) => page.evaluate((name) => (window as unknown as { run: (n: string) => unknown }).run(name), b);
      expect(await run('cpu')).toEqual({ backend: 'cpu', shape: [4, 2], grads: 2 });
      expect(await run('wasm')).toEqual({ backend: 'wasm', shape: [4, 2], grads: 2 });
      expect(await page.evaluate(() => (window as unknown as { winograd: () => unknown }).winograd())).toEqual({ calls: 1, close: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
