/**
 * The page: load the shipped model with loadModel(url), read captchas the
 * user gives (file, drop, paste) or draws, switch backends, and drive the
 * training worker. Plain DOM: four sections do not need a framework.
 */
import { decodeModel, foldBatchNorm, loadModel, type Module, type ModuleSpec, tf } from '@captcha-nn/core';
import { fitRGBA, fittedBox, type PixelBox } from '@captcha-nn/data/browser';
import { BACKENDS, type DemoBackend, startBackend, whyUnavailable } from './backends';
import { loadGeneratorFonts, seedGenerator } from './generate';
import { drawCurves } from './plot';
import { type CaptchaMeta, checkMeta, inputFromRGBA, type Reading, readBatch } from './reading';
import type { FromWorker, ToWorker } from './train.worker';

const base = new URL('./', location.href).href;
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

let model: Module | null = null;
let meta: CaptchaMeta | null = null;
let spec: ModuleSpec | null = null;
let backend: DemoBackend = 'wasm';
let busy: Promise<unknown> = Promise.resolve();
let lastInput: InputImage | null = null;
let drawn = 0;
/** The last model saved by the training worker, and whether the solver uses it instead of the shipped one. */
let trained: { json: Uint8Array; weights: Uint8Array } | null = null;
let useTrained = false;

/** Runs jobs that use the model one after another (a backend switch reloads it). */
function serial<T>(job: () => Promise<T>): Promise<T> {
  const next = busy.then(job, job);
  busy = next.catch(() => undefined);
  return next;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Loads the solver's model on the current backend: the shipped one (over HTTP), or the one trained here. */
async function loadShippedModel(): Promise<void> {
  const loaded = useTrained && trained ? decodeModel({ ...trained, name: 'trained in this page' }) : await loadModel(new URL('model/', base).href);
  model?.dispose();
  // The page only reads: each BatchNormalization folded into the layer before it is one kernel fewer per image.
  model = foldBatchNorm(loaded.model, { inplace: true });
  meta = checkMeta(loaded.metadata, 'model/model.json');
  spec = loaded.spec;
}

/** An image at the model's input size: RGBA, and where the picture lies (the rest is white matte). */
interface InputImage {
  rgba: Uint8ClampedArray;
  box: PixelBox;
}

/** An image fitted to the model's input size as training fitted it (`preprocessing.fit`; older models stretch). */
async function fitToInput(source: ImageBitmapSource): Promise<InputImage> {
  const { width, height } = meta!.input;
  const bitmap = await createImageBitmap(source);
  const { width: w, height: h } = bitmap;
  const ctx = new OffscreenCanvas(w, h).getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const fit = meta!.preprocessing.fit ?? 'resize';
  return { rgba: fitRGBA(ctx.getImageData(0, 0, w, h).data, w, h, width, height, fit), box: fittedBox(w, h, width, height, fit) };
}

async function read(images: InputImage[]): Promise<{ readings: Reading[]; ms: number }> {
  return serial(async () => {
    const { height: H, width: W, channels: C } = meta!.input;
    const data = new Float32Array(images.length * H * W * C);
    images.forEach(({ rgba, box }, i) => inputFromRGBA(meta!, rgba, data, i * H * W * C, box));
    const x = tf.tensor4d(data, [images.length, H, W, C]);
    try {
      const t0 = performance.now();
      const readings = await readBatch(model!, meta!, x);
      return { readings, ms: performance.now() - t0 };
    } finally {
      x.dispose();
    }
  });
}

function showReading(r: Reading, ms: number): void {
  $('predicted-text').textContent = r.text;
  $('time').textContent = `${ms.toFixed(1)} ms`;
  $('used-backend').textContent = tf.getBackend();
  $('confidence').textContent = `${(r.confidence * 100).toFixed(1)}%`;
  const list = $('chars');
  list.replaceChildren(
    ...r.chars.map((c, i) => {
      const li = document.createElement('li');
      li.className = 'char';
      li.tabIndex = 0;
      const pct = (p: number) => `${(p * 100).toFixed(1)}%`;
      const alts = c.top.map((a) => `${a.char === '' ? '(blank)' : a.char} ${pct(a.prob)}`).join(', ');
      li.setAttribute('aria-label', `Character ${i + 1}: ${c.char || 'blank'}, ${pct(c.prob)} sure. Top three: ${alts}`);
      li.innerHTML = `<span class="glyph" aria-hidden="true"></span><div class="bar" aria-hidden="true"><span></span></div><div class="tip" role="tooltip"></div>`;
      li.querySelector('.glyph')!.textContent = c.char || '·';
      const bar = li.querySelector<HTMLElement>('.bar')!;
      bar.classList.toggle('low', c.prob < 0.6);
      bar.querySelector('span')!.style.width = pct(c.prob);
      const tip = li.querySelector('.tip')!;
      tip.replaceChildren(
        ...c.top.map((a) => Object.assign(document.createElement('div'), { textContent: `${a.char === '' ? '(blank)' : a.char}: ${pct(a.prob)}` })),
      );
      return li;
    }),
  );
}

async function solve(image: InputImage): Promise<void> {
  lastInput = image;
  const { readings, ms } = await read([image]);
  showReading(readings[0]!, ms);
}

function showImage(url: string, alt: string, caption: string): void {
  const img = $<HTMLImageElement>('captcha-img');
  img.src = url;
  img.alt = alt;
  $('captcha-caption').textContent = caption;
}

async function solveBlob(blob: Blob, name: string): Promise<void> {
  if (!blob.type.startsWith('image/')) throw new Error(`${name} is not an image (${blob.type || 'unknown type'})`);
  showImage(URL.createObjectURL(blob), `The captcha you gave: ${name}`, `Your image: ${name}`);
  await solve(await fitToInput(blob));
}

async function newCaptcha(): Promise<void> {
  await loadGeneratorFonts(base);
  const gen = seedGenerator('page', { ...meta!.input, charset: meta!.charset, length: meta!.length });
  const { rgba, label } = gen.render(drawn++);
  const { width, height } = meta!.input;
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  showImage(URL.createObjectURL(blob), 'A captcha drawn in the page; the model reads it below', `Drawn in the page (true text: ${label})`);
  $('captcha-caption').dataset.label = label;
  await solve({ rgba: new Uint8ClampedArray(rgba), box: { x: 0, y: 0, width, height } });
}

function report(where: string, e: unknown): void {
  const el = $(where);
  el.textContent = message(e);
  el.classList.add('wrong');
  console.warn(`${where}: ${message(e)}`);
}

// ---- backends

async function probeBackends(): Promise<void> {
  for (const name of BACKENDS) {
    const why = await whyUnavailable(name);
    const el = $(`why-${name}`);
    el.textContent = why ? `unavailable: ${why}` : 'available';
    el.classList.toggle('unavailable', !!why);
    const radio = document.querySelector<HTMLInputElement>(`input[name=backend][value=${name}]`)!;
    radio.disabled = !!why;
  }
}

async function switchBackend(name: DemoBackend): Promise<void> {
  const status = $('backend-status');
  status.classList.remove('wrong');
  status.textContent = `Starting ${name}…`;
  await serial(async () => {
    try {
      const used = await startBackend(name);
      await loadShippedModel();
      backend = name;
      status.textContent = `Running on ${used}.`;
      status.dataset.backend = used;
    } catch (e) {
      status.textContent = `${name} could not start: ${message(e)} Staying on ${backend}.`;
      status.classList.add('wrong');
      document.querySelector<HTMLInputElement>(`input[name=backend][value=${backend}]`)!.checked = true;
      await startBackend(backend);
      await loadShippedModel();
    }
  });
  if (lastInput) await solve(lastInput);
}

// ---- the shipped captchas

interface ShippedIndex {
  files: Array<{ file: string; label: string; node: string }>;
  node: { right: number; total: number; accuracy: number };
}

async function readShipped(): Promise<void> {
  const summary = $('shipped-summary');
  summary.textContent = 'Reading…';
  delete summary.dataset.right;
  const index = (await (await fetch(new URL('captchas/index.json', base))).json()) as ShippedIndex;
  const images = await Promise.all(index.files.map(async (f) => fitToInput(await (await fetch(new URL(`captchas/${f.file}`, base))).blob())));
  const { readings, ms } = await read(images);
  const body = $('shipped-table').querySelector('tbody')!;
  let right = 0;
  body.replaceChildren(
    ...index.files.map((f, i) => {
      const r = readings[i]!;
      const ok = r.text === f.label;
      if (ok) right++;
      const tr = document.createElement('tr');
      tr.dataset.read = r.text;
      tr.dataset.label = f.label;
      tr.dataset.margins = JSON.stringify(r.chars.map((c) => c.top[0]!.prob - (c.top[1]?.prob ?? 0)));
      tr.innerHTML = `<td><img alt="" /></td><td></td><td></td><td></td>`;
      const [img, label, read, mark] = tr.querySelectorAll('td');
      const im = img!.querySelector('img')!;
      im.src = new URL(`captchas/${f.file}`, base).href;
      im.alt = `Shipped captcha ${i + 1}`;
      label!.textContent = f.label;
      read!.textContent = r.text;
      mark!.textContent = ok ? 'yes' : 'no';
      mark!.className = ok ? 'right' : 'wrong';
      return tr;
    }),
  );
  $('shipped-table').hidden = false;
  summary.dataset.right = String(right);
  summary.dataset.total = String(index.files.length);
  summary.dataset.backend = tf.getBackend();
  summary.textContent =
    `${right} of ${index.files.length} read right (${((100 * right) / index.files.length).toFixed(0)}%) on ${tf.getBackend()} in ${ms.toFixed(0)} ms; ` +
    `in Node the same model reads ${index.node.right} of ${index.node.total}.`;
}

// ---- training

let worker: Worker | null = null;
const curves = { loss: [] as number[], accuracy: [] as number[], samplesPerSecond: [] as number[] };

/** Inference time at batch 1 on the current backend: the median of `n` reads of the first shipped captcha, after one warm-up. */
async function timeReads(n = 50): Promise<{ median: number; backend: string; n: number }> {
  const index = (await (await fetch(new URL('captchas/index.json', base))).json()) as ShippedIndex;
  const image = await fitToInput(await (await fetch(new URL(`captchas/${index.files[0]!.file}`, base))).blob());
  await read([image]);
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push((await read([image])).ms);
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(n / 2)]!, backend: tf.getBackend(), n };
}

// Read by the browser tests and the benchmark (and handy in the console).
(window as unknown as { captchaDemo: unknown }).captchaDemo = { curves, timeReads };
let pendingSave: 'download' | 'folder' | null = null;
let plotQueued = false;

function setTraining(on: boolean): void {
  $<HTMLButtonElement>('train-start').disabled = on;
  $<HTMLButtonElement>('train-stop').disabled = !on;
}

function redraw(): void {
  if (plotQueued) return;
  plotQueued = true;
  requestAnimationFrame(() => {
    plotQueued = false;
    const canvas = $<HTMLCanvasElement>('plot');
    drawCurves(canvas, curves.loss, curves.accuracy);
    const n = curves.loss.length;
    canvas.setAttribute(
      'aria-label',
      n
        ? `Loss and accuracy curves over ${n} steps: loss ${curves.loss[n - 1]!.toFixed(3)}, accuracy ${(100 * curves.accuracy[n - 1]!).toFixed(1)}%`
        : 'Loss and accuracy curves: no steps yet',
    );
  });
}

async function saveFiles(json: Uint8Array, weights: Uint8Array, how: 'download' | 'folder'): Promise<void> {
  const files: Array<[string, Uint8Array]> = [
    ['model.json', json],
    ['weights.safetensors', weights],
  ];
  const picker = (window as unknown as { showDirectoryPicker?: (o?: object) => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
  if (how === 'folder' && picker) {
    const dir = await picker({ mode: 'readwrite' });
    for (const [name, bytes] of files) {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write(bytes as unknown as ArrayBuffer);
      await w.close();
    }
    $('train-status').textContent = `Saved model.json and weights.safetensors to the folder ${dir.name}.`;
    return;
  }
  for (const [name, bytes] of files) {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([bytes as unknown as ArrayBuffer]));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }
  $('train-status').textContent = 'Downloaded model.json and weights.safetensors: put them in one folder.';
}

function onWorker(e: MessageEvent<FromWorker>): void {
  const m = e.data;
  const status = $('train-status');
  if (m.type === 'started') status.textContent = `Training on ${m.backend}…`;
  else if (m.type === 'step') {
    curves.loss.push(m.loss);
    curves.accuracy.push(m.accuracy);
    curves.samplesPerSecond.push(m.samplesPerSecond);
    $('train-step').textContent = String(m.step);
    $('train-loss').textContent = m.loss.toFixed(3);
    $('train-acc').textContent = `${(100 * m.accuracy).toFixed(1)}%`;
    $('train-speed').textContent = m.samplesPerSecond.toFixed(1);
    $('train-step').dataset.tensors = String(m.tensors);
    $<HTMLButtonElement>('save-download').disabled = false;
    $<HTMLButtonElement>('save-folder').disabled = false;
    redraw();
  } else if (m.type === 'stopped') {
    status.textContent = `Stopped after ${m.step} steps.`;
    setTraining(false);
  } else if (m.type === 'saved') {
    const how = pendingSave ?? 'download';
    pendingSave = null;
    trained = { json: m.json.slice(), weights: m.weights.slice() };
    $<HTMLButtonElement>('use-trained').disabled = false;
    saveFiles(m.json, m.weights, how).catch((err) => report('train-status', err));
  } else if (m.type === 'error') {
    report('train-status', m.message);
    setTraining(false);
  }
}

function startTraining(): void {
  worker ??= new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = onWorker;
  worker.onerror = (e) => report('train-status', e.message);
  curves.loss.length = 0;
  curves.accuracy.length = 0;
  curves.samplesPerSecond.length = 0;
  redraw();
  const batch = Number($<HTMLInputElement>('batch').value);
  const lr = Number($<HTMLInputElement>('lr').value);
  if (!(batch >= 1 && batch <= 64)) return report('train-status', `Batch must be 1 to 64, got ${$<HTMLInputElement>('batch').value}`);
  if (!(lr > 0 && lr <= 0.1)) return report('train-status', `Learning rate must be in (0, 0.1], got ${$<HTMLInputElement>('lr').value}`);
  $('train-status').classList.remove('wrong');
  $('train-status').textContent = `Starting on ${backend}…`;
  setTraining(true);
  const msg: ToWorker = { type: 'start', backend, base, spec: spec!, meta: meta!, batch, lr, seed: 'browser' };
  worker.postMessage(msg);
}

// ---- wiring

function wire(): void {
  $('new-captcha').addEventListener('click', () => newCaptcha().catch((e) => report('captcha-caption', e)));
  $('file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) solveBlob(f, f.name).catch((err) => report('captcha-caption', err));
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) solveBlob(f, f.name).catch((err) => report('captcha-caption', err));
  });
  document.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
    const f = item?.getAsFile();
    if (f) solveBlob(f, 'pasted image').catch((err) => report('captcha-caption', err));
  });
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name=backend]'))
    radio.addEventListener('change', () => radio.checked && switchBackend(radio.value as DemoBackend));
  $('read-shipped').addEventListener('click', () => readShipped().catch((e) => report('shipped-summary', e)));
  $('train-start').addEventListener('click', startTraining);
  $('train-stop').addEventListener('click', () => worker?.postMessage({ type: 'stop' } satisfies ToWorker));
  const save = (how: 'download' | 'folder') => {
    pendingSave = how;
    worker?.postMessage({ type: 'save' } satisfies ToWorker);
  };
  $('save-download').addEventListener('click', () => save('download'));
  $('use-trained').addEventListener('click', () =>
    serial(async () => {
      useTrained = !useTrained;
      await loadShippedModel();
      $('use-trained').textContent = useTrained ? 'Solve with the shipped model' : 'Solve with the saved trained model';
      $('solver-model').textContent = useTrained ? 'the model trained and saved in this page' : 'the shipped model';
    }).catch((e) => report('train-status', e)),
  );
  if ('showDirectoryPicker' in window) {
    $('save-folder').hidden = false;
    $('save-folder').addEventListener('click', () => save('folder'));
  }
  drawCurves($<HTMLCanvasElement>('plot'), [], []);
}

async function main(): Promise<void> {
  wire();
  const status = $('load-status');
  const t0 = performance.now();
  await probeBackends();
  await serial(async () => {
    await startBackend('wasm');
    await loadShippedModel();
  });
  status.textContent = `Model loaded in ${(performance.now() - t0).toFixed(0)} ms: ${meta!.model?.name ?? 'model'} (${meta!.model?.variant ?? ''}), ${meta!.length} characters from "${meta!.charset}".`;
  status.dataset.ready = 'true';
  $('backend-status').textContent = `Running on ${tf.getBackend()}.`;
  $('backend-status').dataset.backend = tf.getBackend();
  for (const id of ['new-captcha', 'read-shipped', 'train-start']) $<HTMLButtonElement>(id).disabled = false;
}

main().catch((e) => report('load-status', e));
