/**
 * Self-describing saved models: a folder with
 *
 *   model.json           { format: 'captcha-nn-model', version: 1, spec, criterion?, metadata }
 *   weights.safetensors  the state dict, PyTorch's keys and layouts
 *
 * `spec` is the model's `toSpec()` (src/io/spec.ts), `metadata` whatever the
 * application needs to use the model (charset, preprocessing), as JSON.
 *
 *   await saveModel('runs/x', model, { metadata: { charset }, criterion });
 *   const { model, metadata } = await loadModel('runs/x');          // Node: a folder
 *   const { model, metadata } = await loadModel('models/x/');       // browser: a URL, fetched
 *   const { model } = decodeModel({ json, weights });               // bytes already at hand (a worker)
 *
 * Node's file APIs are imported only when a path is read or written, so
 * browser bundles can use the rest.
 */
import type { Criterion } from '../nn/Criterion';
import type { Module } from '../nn/Module';
import { tf } from '../tf';
import { StateDictError } from '../util/errors';
import { decodeSafetensors, encodeSafetensors, writeFileAtomic } from './safetensors';
import { StateDictValueError } from './stateDict';
import { criterionFromSpec, moduleFromSpec, oneLine } from './spec';
import type { CriterionSpec, ModuleSpec } from '../util/moduleSpec';
import { type NodeFs, type NodePath, type NodeUrl, nodeImport } from '../util/nodeImport';

export const MODEL_FORMAT = 'captcha-nn-model';
export const MODEL_VERSION = 1;
export const MODEL_JSON = 'model.json';
export const MODEL_WEIGHTS = 'weights.safetensors';

/** The contents of model.json. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: number;
  spec: ModuleSpec;
  /** The training criterion, when one was saved. */
  criterion?: CriterionSpec;
  metadata: Record<string, unknown>;
}

export interface SaveModelOptions {
  /** JSON-able data the application needs with the model: charset, preprocessing… */
  metadata?: Record<string, unknown>;
  /** Saved as a spec (its weights, e.g. ClassNLL's, in the spec). */
  criterion?: Criterion;
}

export interface LoadedModel {
  /** The model with the saved weights, in evaluate mode. */
  model: Module;
  metadata: Record<string, unknown>;
  /** Present when one was saved. */
  criterion?: Criterion;
  /** The architecture as saved, to build replicas (`moduleFromSpec`). */
  spec: ModuleSpec;
}

/** The two files' bytes (or model.json already parsed); `name` is used in error messages. */
export interface ModelBytes {
  json: Uint8Array | ArrayBuffer | string | ModelFile;
  weights: Uint8Array | ArrayBuffer;
  name?: string;
}

/** A folder path (Node), an http(s)/file/relative URL of the folder, or the files' bytes. */
export type ModelSource = string | URL | ModelBytes;

export interface DecodeModelOptions {
  /** Reject NaN or infinite weights, naming the key (default true). */
  checkFinite?: boolean;
}

export interface LoadModelOptions extends DecodeModelOptions {
  /**
   * Over http(s): the longest wait for each file, headers and body, in
   * milliseconds (default 30,000; 0 or Infinity for none).
   */
  timeoutMs?: number;
  /** Over http(s): aborts the download. */
  signal?: AbortSignal;
}

/** Default `timeoutMs` of `loadModel` over http(s). */
export const LOAD_MODEL_TIMEOUT_MS = 30_000;

/** A missing, unreadable or malformed model file; the message starts with the file's name. */
export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ModelFileError';
  }
}

/**
 * A model file that could not be fetched: the message is
 * `loadModel: GET <url>: <problem>` (an HTTP status, a timeout, an abort, a
 * body shorter than its Content-Length, or a network error and its code).
 */
export class ModelFetchError extends ModelFileError {
  constructor(
    readonly url: string,
    problem: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
    /** The network error's code (ECONNREFUSED, UND_ERR_SOCKET…), when known. */
    readonly code?: string,
  ) {
    super(url, problem);
    this.name = 'ModelFetchError';
    this.message = `loadModel: GET ${url}: ${problem}`;
  }
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** model.json and weights.safetensors as bytes, e.g. to hand a model to a worker. */
export function encodeModel(
  model: Module,
  { metadata = {}, criterion }: SaveModelOptions = {},
): {
  json: Uint8Array;
  weights: Uint8Array;
} {
  const file: ModelFile = { format: MODEL_FORMAT, version: MODEL_VERSION, spec: model.toSpec(), metadata };
  if (criterion) file.criterion = criterion.toSpec();
  let text: string;
  try {
    text = JSON.stringify(file, null, 2) + '\n';
  } catch (e) {
    throw new TypeError(`saveModel: the metadata is not JSON-able (${message(e)})`);
  }
  const state = model.stateDict();
  try {
    return { json: new TextEncoder().encode(text), weights: encodeSafetensors(state, { format: MODEL_FORMAT }) };
  } finally {
    for (const t of Object.values(state)) t.dispose();
  }
}

/**
 * Writes `dir/model.json` and `dir/weights.safetensors`, each atomically
 * (weights first), creating `dir` if needed. Node only.
 */
export async function saveModel(dir: string, model: Module, options: SaveModelOptions = {}): Promise<void> {
  const { json, weights } = encodeModel(model, options);
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const { join } = await nodeImport<NodePath>('node:path');
  await fs.mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, MODEL_WEIGHTS), weights);
  await writeFileAtomic(join(dir, MODEL_JSON), json);
}

/**
 * Loads a saved model: from a folder path in Node, from a URL of the folder
 * (http(s), or relative to the page in a browser) by fetch, or from the
 * files' bytes. Errors name the file at fault; a weights file that does not
 * fit the architecture throws loadStateDict's StateDictError listing the keys
 * (a wrong dtype, or NaN/infinite weights unless `checkFinite: false`, too).
 * Over http(s) each file must arrive within `timeoutMs` (default 30 s) and
 * `signal` aborts; failures are ModelFetchErrors naming the URL.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<LoadedModel> {
  if (typeof source === 'object' && !(source instanceof URL)) return decodeModel(source, options);
  const url = asUrl(source);
  if (!url) return decodeModel(await readFolder(source as string), options);
  if (url.protocol === 'file:' && isNode()) {
    const { fileURLToPath } = await nodeImport<NodeUrl>('node:url');
    return decodeModel(await readFolder(fileURLToPath(url)), options);
  }
  const base = new URL(url.href.endsWith('/') ? url.href : `${url.href}/`);
  const [json, weights] = await fetchAll([new URL(MODEL_JSON, base), new URL(MODEL_WEIGHTS, base)], options);
  return decodeModel({ json: json!, weights: weights!, name: base.href.replace(/\/$/, '') }, options);
}

/**
 * Builds the model from the two files' contents, without I/O (`loadModel`
 * after reading). Rejects NaN or infinite weights unless `checkFinite: false`.
 */
export function decodeModel({ json, weights, name }: ModelBytes, { checkFinite = true }: DecodeModelOptions = {}): LoadedModel {
  const jsonName = name ? `${name}/${MODEL_JSON}` : MODEL_JSON;
  const weightsName = name ? `${name}/${MODEL_WEIGHTS}` : MODEL_WEIGHTS;
  const file = parseModelFile(json, jsonName);
  if (!(weights instanceof Uint8Array || weights instanceof ArrayBuffer))
    throw new ModelFileError(weightsName, `expected the file's bytes (a Uint8Array or ArrayBuffer), got ${weights === null ? 'null' : typeof weights}`);
  const bytes = weights instanceof Uint8Array ? weights : new Uint8Array(weights);
  const { tensors, dtypes } = decodeSafetensors(bytes, weightsName);
  let model: Module | undefined;
  let criterion: Criterion | undefined;
  // Parameters are tfjs variables: those made from here on belong to this model (this function never awaits).
  const variablesBefore = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    // A corrupt spec (a size off by a deleted argument) could allocate
    // gigabytes before the weights are checked: refuse one that needs far
    // more parameters than the weights file holds.
    const held = Object.values(tensors).reduce((n, t) => n + t.size, 0);
    const needs = specParameters(file.spec, 'spec');
    if (needs.count > SPEC_SLACK_FACTOR * held + SPEC_SLACK_VALUES)
      throw new ModelFileError(
        jsonName,
        `the spec needs at least ${needs.count} parameter values (${needs.where} alone ${needs.most}), far more than ${weightsName} holds (${held}); not building it`,
      );
    try {
      model = moduleFromSpec(file.spec);
      if (file.criterion) criterion = criterionFromSpec(file.criterion);
    } catch (e) {
      throw new ModelFileError(jsonName, oneLine(message(e)));
    }
    try {
      model.loadStateDict(tensors, { checkFinite });
    } catch (e) {
      if (e instanceof StateDictValueError && e.onlyNonFinite) e.message = `${weightsName}: ${e.describe()}`;
      else if (e instanceof StateDictValueError)
        e.message = `${weightsName} does not fit ${jsonName}: ${e.describe((k) => (dtypes[k] ? `${dtypes[k]} in the file` : undefined))}`;
      else if (e instanceof StateDictError) e.message = `${weightsName} does not fit ${jsonName}: ${e.message}`;
      // Anything else comes from a spec that builds but does not make a working model.
      else throw new ModelFileError(jsonName, `the spec does not build a working model (${oneLine(message(e))})`);
      throw e;
    }
    try {
      model.evaluate();
    } catch (e) {
      throw new ModelFileError(jsonName, `the spec does not build a working model (${oneLine(message(e))})`);
    }
    return { model, metadata: file.metadata, criterion, spec: file.spec };
  } catch (e) {
    // Free what was built; a broken model may fail to dispose too, but the first error is the one to report.
    if (model) disposeBroken(model);
    try {
      criterion?.dispose();
    } catch {
      /* keep the first error */
    }
    for (const [id, v] of Object.entries(tf.engine().registeredVariables)) if (!variablesBefore.has(id) && !v.isDisposed) v.dispose();
    throw e;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/**
 * Disposes a module tree that may hold things that are not modules (a
 * corrupt spec can hand a plain object to a container): every module in it,
 * leaves first, each on its own, so one failure does not keep the rest.
 */
function disposeBroken(root: Module): void {
  const nodes: Module[] = [];
  const seen = new Set<unknown>();
  const walk = (m: unknown) => {
    if (seen.has(m) || !(m instanceof Object) || typeof (m as Module).dispose !== 'function') return;
    seen.add(m);
    nodes.push(m as Module);
    let kids: unknown[] = [];
    try {
      kids = typeof (m as Module).children === 'function' ? [...(m as Module).children()] : [];
    } catch {
      /* not a container after all */
    }
    kids.forEach(walk);
  };
  walk(root);
  for (const m of nodes.reverse()) {
    try {
      m.dispose();
    } catch {
      /* a broken node: its variables are swept by the caller */
    }
  }
}

const SPEC_SLACK_FACTOR = 4;
const SPEC_SLACK_VALUES = 1 << 20;

/** Lower bounds of the parameter values the built-in parametric modules allocate, from their constructor args. */
const PARAMETERS: Record<string, (a: number[]) => number> = {
  Linear: ([i = 0, o = 0]) => i * o,
  SpatialConvolution: ([i = 0, o = 0, kW = 0, kH = 0]) => i * o * kW * kH,
  BatchNormalization: ([n = 0]) => 2 * n,
  SpatialBatchNormalization: ([n = 0]) => 2 * n,
  LookupTable: ([n = 0, d = 0]) => n * d,
  LookupTableMaskZero: ([n = 0, d = 0]) => n * d,
  LSTM: ([i = 0, o = i]) => 4 * o * (i + o),
  FastLSTM: ([i = 0, o = i]) => 4 * o * (i + o),
  SeqLSTM: ([i = 0, o = i]) => 4 * o * (i + o),
  GRU: ([i = 0, o = i]) => 3 * o * (i + o),
};

/**
 * A lower bound of the parameter values building `spec` allocates (built-in
 * modules only; others count 0), and the node that needs the most.
 */
function specParameters(spec: unknown, where: string): { count: number; most: number; where: string } {
  let count = 0;
  let best = { most: 0, where };
  const walk = (node: unknown, at: string, depth: number) => {
    if (depth > 10_000 || node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const s = node as { type?: unknown; args?: unknown; children?: unknown };
    if (typeof s.type !== 'string') return;
    const args = Array.isArray(s.args) ? s.args : [];
    const estimate = Object.hasOwn(PARAMETERS, s.type) ? PARAMETERS[s.type]!(args.map((a) => (typeof a === 'number' && a > 0 ? a : 0))) : 0;
    if (estimate > 0) {
      count += estimate;
      if (estimate > best.most) best = { most: estimate, where: `${at} (${s.type} ${JSON.stringify(args.filter((a) => typeof a === 'number'))})` };
    }
    args.forEach((a, i) => walk(a, `${at}.args[${i}]`, depth + 1));
    if (Array.isArray(s.children)) s.children.forEach((c, i) => walk(c, `${at}.children[${i}]`, depth + 1));
  };
  walk(spec, where, 0);
  return { count, ...best };
}

function parseModelFile(json: ModelBytes['json'], name: string): ModelFile {
  const fail = (problem: string): never => {
    throw new ModelFileError(name, problem);
  };
  let raw: unknown = json;
  if (typeof json === 'string' || json instanceof Uint8Array || json instanceof ArrayBuffer) {
    try {
      const text = typeof json === 'string' ? json : new TextDecoder('utf-8', { fatal: true }).decode(json);
      raw = JSON.parse(text);
    } catch (e) {
      fail(`not valid JSON (${message(e)})`);
    }
  }
  const obj = raw as Partial<ModelFile> | null;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return fail('not a JSON object');
  if (obj.format !== MODEL_FORMAT) fail(`not a ${MODEL_FORMAT} file (format: ${JSON.stringify(obj.format)})`);
  if (!Number.isInteger(obj.version) || (obj.version as number) < 1) fail(`bad version ${JSON.stringify(obj.version)}`);
  if ((obj.version as number) > MODEL_VERSION) fail(`version ${obj.version} is newer than this library reads (${MODEL_VERSION}): update @captcha-nn/core`);
  if (obj.spec === null || typeof obj.spec !== 'object' || typeof obj.spec.type !== 'string') fail(`'spec' is missing or not a module spec`);
  const metadata = obj.metadata ?? {};
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) fail(`'metadata' is not an object`);
  return { ...obj, metadata } as ModelFile;
}

const isNode = () => typeof process !== 'undefined' && !!process.versions?.node;

/** The folder's URL, or null for a file-system path (Node). */
function asUrl(source: string | URL): URL | null {
  let url: URL | null = null;
  if (source instanceof URL) url = source;
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) url = new URL(source);
  else if (!isNode()) {
    const base = (globalThis as { location?: { href: string } }).location?.href;
    if (!base) throw new ModelFileError(source, 'a relative URL needs a page to resolve against; pass an absolute URL');
    url = new URL(source, base);
  }
  return url;
}

async function readFolder(dir: string): Promise<ModelBytes> {
  const fs = await nodeImport<NodeFs>('node:fs/promises');
  const { join } = await nodeImport<NodePath>('node:path');
  const read = async (file: string) => {
    try {
      const b = await fs.readFile(file);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new ModelFileError(file, code === 'ENOENT' ? 'no such file' : `cannot read (${message(e)})`);
    }
  };
  const [json, weights] = await Promise.all([read(join(dir, MODEL_JSON)), read(join(dir, MODEL_WEIGHTS))]);
  return { json, weights, name: dir.replace(/[\\/]+$/, '') };
}

/**
 * Fetches the URLs together under one timeout per request and the caller's
 * signal; the first failure aborts the others.
 */
async function fetchAll(urls: URL[], { timeoutMs = LOAD_MODEL_TIMEOUT_MS, signal }: LoadModelOptions): Promise<Uint8Array[]> {
  if (!(typeof timeoutMs === 'number' && timeoutMs >= 0))
    throw new TypeError(`loadModel: timeoutMs must be a number of milliseconds >= 0, got ${JSON.stringify(timeoutMs)}`);
  const all = new AbortController();
  const onAbort = () => all.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.all(
      urls.map((u) =>
        fetchBytes(u, all.signal, timeoutMs, signal).catch((e: unknown) => {
          all.abort(e);
          throw e;
        }),
      ),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The code of a fetch failure's cause chain (ECONNREFUSED, UND_ERR_SOCKET…). */
function causeCode(e: unknown): { code?: string; text: string } {
  let cur: unknown = e;
  const texts: string[] = [];
  for (let depth = 0; cur && depth < 5; depth++) {
    const err = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof err.message === 'string' && err.message) texts.push(err.message);
    if (typeof err.code === 'string') return { code: err.code, text: texts[texts.length - 1] ?? '' };
    cur = err.cause;
  }
  return { text: texts[texts.length - 1] ?? String(e) };
}

async function fetchBytes(url: URL, group: AbortSignal, timeoutMs: number, user: AbortSignal | undefined): Promise<Uint8Array> {
  const href = url.href;
  const ctrl = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs > 0 && Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          timedOut = true;
          ctrl.abort();
        }, timeoutMs)
      : undefined;
  const onGroup = () => ctrl.abort();
  if (group.aborted) onGroup();
  else group.addEventListener('abort', onGroup, { once: true });
  // Whatever went wrong, say why in the caller's terms.
  const failure = (e: unknown, phase: 'request' | 'body'): ModelFetchError => {
    if (e instanceof ModelFetchError) return e;
    if (timedOut)
      return new ModelFetchError(href, `no ${phase === 'request' ? 'answer' : 'complete body'} within ${timeoutMs} ms (timeoutMs)`, undefined, 'ETIMEDOUT');
    if (user?.aborted) return new ModelFetchError(href, `aborted${user.reason !== undefined ? ` (${message(user.reason)})` : ''}`, undefined, 'ABORT_ERR');
    if (group.aborted) return new ModelFetchError(href, 'aborted because another model file failed', undefined, 'ABORT_ERR');
    const { code, text } = causeCode(e);
    if (phase === 'body') return new ModelFetchError(href, `the response ended early (${[text, code].filter(Boolean).join(', ')})`, undefined, code);
    return new ModelFetchError(href, `network error ${code ?? ''}${code ? ' ' : ''}(${text})`.replace(/ \(\)$/, ''), undefined, code);
  };
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: ctrl.signal });
    } catch (e) {
      throw failure(e, 'request');
    }
    if (!res.ok) {
      void res.body?.cancel().catch(() => undefined);
      throw new ModelFetchError(href, `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, res.status);
    }
    let body: Uint8Array;
    try {
      body = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      throw failure(e, 'body');
    }
    // A server that closes the connection cleanly after too few bytes.
    const declared = res.headers.get('content-length');
    const encoded = res.headers.get('content-encoding');
    if (declared !== null && !encoded && /^\d+$/.test(declared) && Number(declared) !== body.length)
      throw new ModelFetchError(href, `the response ended early (${body.length} of ${declared} bytes)`, res.status);
    return body;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    group.removeEventListener('abort', onGroup);
  }
}
