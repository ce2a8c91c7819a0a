import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '@captcha-nn/core';
import { simplePreset } from '@captcha-nn/data';
import { loadCaptchaModel, predictFiles } from '@captcha-nn/train';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { type Browser, chromium, type Download, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The page as a person uses it, in headless Chromium (Debian's `chromium`, which .ci/run installs):
// the built site served by `vite preview`. WebGL is Chromium's software renderer (SwiftShader).
// Screenshots of each state go to artifacts/ and are checked to be non-blank.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'artifacts');
const index = JSON.parse(readFileSync(join(root, 'public/captchas/index.json'), 'utf8')) as {
  files: Array<{ file: string; label: string; node: string }>;
  node: { right: number; total: number };
};

let server: PreviewServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];
/** Folders this file made under the system temp folder, removed after the suite. */
const temporary: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Writes a screenshot and checks it is not blank: many colours, and light and dark pixels both. */
async function shot(name: string): Promise<void> {
  const file = join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const img = await loadImage(readFileSync(file));
  const ctx = createCanvas(img.width, img.height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  const colours = new Set<number>();
  let dark = 0;
  let light = 0;
  for (let i = 0; i < px.length; i += 16) {
    colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
    const y = 0.299 * px[i]! + 0.587 * px[i + 1]! + 0.114 * px[i + 2]!;
    if (y < 80) dark++;
    else if (y > 200) light++;
  }
  expect(colours.size, `${name}.png has ${colours.size} colours`).toBeGreaterThan(20);
  expect(Math.min(dark, light), `${name}.png: dark ${dark}, light ${light}`).toBeGreaterThan(50);
}

interface Row {
  read: string;
  label: string;
  margins: number[];
}

/** Clicks "Read the 20 captchas" and returns the table's rows once read. */
async function readShipped(): Promise<{ rows: Row[]; right: number; backend: string }> {
  await page.click('#read-shipped');
  await page.waitForSelector('#shipped-summary[data-right]', { timeout: 120_000 });
  return page.evaluate(() => {
    const s = document.getElementById('shipped-summary')!;
    const rows = [...document.querySelectorAll<HTMLTableRowElement>('#shipped-table tbody tr')].map((tr) => ({
      read: tr.dataset.read!,
      label: tr.dataset.label!,
      margins: JSON.parse(tr.dataset.margins!) as number[],
    }));
    return { rows, right: Number(s.dataset.right), backend: s.dataset.backend! };
  });
}

async function chooseBackend(name: string): Promise<void> {
  await page.check(`input[name=backend][value=${name}]`);
  await page.waitForSelector(`#backend-status[data-backend=${name}]`, { timeout: 120_000 });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  mkdirSync(artifacts, { recursive: true });
  const outDir = await mkdtemp(join(tmpdir(), 'captcha-nn-web-demo-'));
  temporary.push(outDir);
  await build({ root, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = await preview({ root, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: await freePort(), strictPort: true } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1000, height: 900 } });
  page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const d of temporary) await rm(d, { recursive: true, force: true });
});

describe('the web demo in Chromium', () => {
  it('loads the shipped model with no console errors', async () => {
    await page.goto(server.resolvedUrls!.local[0]!);
    await page.waitForSelector('#load-status[data-ready=true]', { timeout: 120_000 });
    expect(await page.textContent('#backend-status')).toContain('wasm');
    // Each backend is either available or says why not.
    for (const b of ['wasm', 'webgl', 'webgpu']) expect((await page.textContent(`#why-${b}`))!.length).toBeGreaterThan(8);
    await shot('1-loaded');
    expect(problems).toEqual([]);
  });

  it('draws a new captcha in the page and reads it, with a bar and top-3 per character, by keyboard too', async () => {
    await page.focus('#new-captcha');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => document.getElementById('predicted-text')!.textContent !== '—' || document.getElementById('captcha-caption')!.className === 'wrong',
    );
    expect(await page.getAttribute('#captcha-caption', 'class'), (await page.textContent('#captcha-caption'))!).toBeNull();
    const text = (await page.textContent('#predicted-text'))!;
    const label = await page.getAttribute('#captcha-caption', 'data-label');
    // The same generator, settings and seed in Node (skia) give the same label as in the page (OffscreenCanvas).
    const node = simplePreset('seed', { width: 200, height: 50, charset: 'abcdefghkmnprwxy2345678', length: 5, seed: 'page' });
    expect(label).toBe(node.render(0).label);
    expect(text.length).toBeGreaterThan(0);
    expect(await page.locator('#chars .char').count()).toBe(5);
    expect(await page.textContent('#used-backend')).toBe('wasm');
    expect(await page.textContent('#time')).toMatch(/ms$/);
    expect(await page.getAttribute('#captcha-img', 'alt')).toMatch(/captcha/);
    // Tab onto the first character: its top-3 tooltip shows.
    await page.focus('#chars .char');
    expect(await page.isVisible('#chars .char:first-child .tip')).toBe(true);
    expect((await page.textContent('#chars .char:first-child .tip'))!.split('%')).toHaveLength(4);
    await shot('2-new-captcha');
  });

  let wasmRows: Row[] = [];
  it('reads the 20 shipped captchas with the accuracy recorded in Node', async () => {
    const r = await readShipped();
    expect(r.backend).toBe('wasm');
    expect(r.rows.map((x) => x.label)).toEqual(index.files.map((f) => f.label));
    expect(r.right).toBe(index.node.right);
    expect(r.rows.map((x) => x.read)).toEqual(index.files.map((f) => f.node));
    wasmRows = r.rows;
    await shot('3-shipped-wasm');
  });

  it('switches to webgl (software) and reads the same text, within the model margin', async () => {
    expect(await page.textContent('#why-webgl')).toBe('available');
    await chooseBackend('webgl');
    const r = await readShipped();
    expect(r.backend).toBe('webgl');
    // A character may differ only where wasm itself was unsure (top-2 margin under 0.2).
    r.rows.forEach((row, i) => {
      [...row.read].forEach((c, p) => {
        if (c !== wasmRows[i]!.read[p]) expect(wasmRows[i]!.margins[p], `captcha ${i} position ${p}`).toBeLessThan(0.2);
      });
    });
    await shot('4-shipped-webgl');
    await chooseBackend('wasm');
    expect(problems).toEqual([]);
  });

  it('trains 30 steps in a worker: the loss falls, tensors stay flat, and the page answers clicks within 200 ms', async () => {
    await page.fill('#batch', '8');
    await page.fill('#lr', '0.002');
    // How long the page's main thread takes to answer a real click: from the input event to its handler.
    await page.evaluate(() => {
      const w = window as unknown as { latencies: number[] };
      w.latencies = [];
      document.querySelector('#about summary')!.addEventListener('click', (e) => w.latencies.push(performance.now() - e.timeStamp));
    });
    await page.click('#train-start');
    const roundTrips: number[] = [];
    const tensorsAt: Record<number, number> = {};
    for (;;) {
      const step = Number(await page.textContent('#train-step'));
      const tensors = Number(await page.getAttribute('#train-step', 'data-tensors'));
      if (step >= 5 && step <= 30 && tensorsAt[5] === undefined) tensorsAt[5] = tensors;
      if (step >= 30) {
        tensorsAt[30] = tensors;
        break;
      }
      if (step >= 2 && roundTrips.length < 6) {
        const t0 = Date.now();
        await page.click('#about summary');
        roundTrips.push(Date.now() - t0);
      }
      await page.waitForTimeout(100);
      expect(await page.getAttribute('#train-status', 'class'), (await page.textContent('#train-status'))!).not.toBe('wrong');
    }
    await page.click('#train-stop');
    await page.waitForFunction(() => document.getElementById('train-status')!.textContent!.startsWith('Stopped'), undefined, { timeout: 120_000 });
    const { loss } = await page.evaluate(() => (window as unknown as { captchaDemo: { curves: { loss: number[] } } }).captchaDemo.curves);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean(loss.slice(-5))).toBeLessThan(mean(loss.slice(0, 5)));
    expect(tensorsAt[30]).toBe(tensorsAt[5]);
    const latencies = await page.evaluate(() => (window as unknown as { latencies: number[] }).latencies);
    console.log(
      `click to handler during training: ${latencies.map((x) => x.toFixed(1)).join(', ')} ms; Playwright click round trips ${roundTrips.join(', ')} ms`,
    );
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...latencies)).toBeLessThan(200);
    await shot('5-trained');
  });

  it('saves the trained model to disk; Node loads it with loadModel and reads as the page does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'captcha-nn-web-demo-saved-'));
    temporary.push(dir);
    const downloads: Download[] = [];
    page.on('download', (d) => downloads.push(d));
    await page.click('#save-download');
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
    for (const d of downloads) await d.saveAs(join(dir, d.suggestedFilename()));
    expect(downloads.map((d) => d.suggestedFilename()).sort()).toEqual(['model.json', 'weights.safetensors']);
    // The page reads the shipped captchas with the trained model...
    await page.click('#use-trained');
    await page.waitForFunction(() => document.getElementById('solver-model')!.textContent!.includes('trained'));
    const inPage = await readShipped();
    await shot('6-trained-model');
    // ...and Node, loading the downloaded folder as the CLI does, reads them the same.
    await setBackend('wasm');
    const m = await loadCaptchaModel(dir);
    try {
      expect(m.metadata.training.step).toBeGreaterThanOrEqual(30);
      const read = await predictFiles(
        m,
        index.files.map((f) => join(root, 'public/captchas', f.file)),
      );
      expect(read.map((r) => r.text)).toEqual(inPage.rows.map((r) => r.read));
    } finally {
      m.model.dispose();
    }
    expect(problems).toEqual([]);
  });
});
