import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Tensor } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchNormalization } from '../nn/BatchNormalization';
import { ClassNLLCriterion } from '../nn/ClassNLLCriterion';
import { Linear } from '../nn/Linear';
import { LogSoftMax } from '../nn/LogSoftMax';
import type { Module } from '../nn/Module';
import { ReLU } from '../nn/ReLU';
import { Sequential } from '../nn/Sequential';
import { SpatialAveragePooling } from '../nn/SpatialAveragePooling';
import { SpatialBatchNormalization } from '../nn/SpatialBatchNormalization';
import { SpatialConvolution } from '../nn/SpatialConvolution';
import { SpatialMaxPooling } from '../nn/SpatialMaxPooling';
import { SplitTable } from '../nn/SplitTable';
import { View } from '../nn/View';
import { Recurrent } from '../rnn/Recurrent';
import { Sequencer } from '../rnn/Sequencer';
import { SequencerCriterion } from '../rnn/SequencerCriterion';
import { tf } from '../tf';
import { StateDictError } from '../util/errors';
import { manualSeed } from '../util/random';
import { decodeModel, encodeModel, loadModel, ModelFetchError, ModelFileError, saveModel } from './model';
import { encodeSafetensors, SafetensorsError } from './safetensors';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'captcha-nn-model-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A small captcha-like network: NHWC [N, 12, 16, 1] → [N, 5] log-probabilities. */
function net(): Sequential {
  return new Sequential(
    new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1).noBias(),
    new SpatialBatchNormalization(4),
    new ReLU(),
    new SpatialMaxPooling(2, 2, 2, 2).ceil(),
    new SpatialAveragePooling(3, 3, 2, 2, 1, 1).setCountExcludePad(),
    new View(-1).setNumInputDims(3),
    new Linear(48, 5),
    new BatchNormalization(5, 1e-3, 0.2),
    new LogSoftMax(),
  );
}

const metadata = { charset: '0123456789abc', length: 5, preprocessing: { height: 12, width: 16, grayscale: true, mean: 0.5 } };

/** A trained-looking net: running statistics moved by a few training forwards. */
function trainedNet(): Sequential {
  manualSeed(3);
  const m = net();
  for (let i = 0; i < 3; i++) {
    const x = tf.randomNormal([4, 12, 16, 1], 0, 1, 'float32', 10 + i);
    m.forward(x);
    x.dispose();
  }
  return m.evaluate();
}

function out(m: Module, x: Tensor): number[] {
  return Array.from((m.forward(x) as Tensor).dataSync());
}

describe('saveModel / loadModel', () => {
  it('round-trips architecture, weights, metadata and criterion through a folder', async () => {
    const m = trainedNet();
    const crit = new ClassNLLCriterion([1, 2, 1, 0.5, 1], false);
    const dir = join(root, 'runs', 'a'); // created by saveModel
    await saveModel(dir, m, { metadata, criterion: crit });
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.safetensors']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json).toMatchObject({ format: 'captcha-nn-model', version: 1, metadata, spec: m.toSpec(), criterion: crit.toSpec() });

    const x = tf.randomNormal([3, 12, 16, 1], 0, 1, 'float32', 99);
    const loaded = await loadModel(dir);
    expect(loaded.model.train).toBe(false);
    expect(loaded.model.toString()).toBe(m.toString());
    expect(loaded.metadata).toEqual(metadata);
    expect(loaded.spec).toEqual(m.toSpec());
    expect(loaded.criterion!.toSpec()).toEqual(crit.toSpec());
    expect(out(loaded.model, x)).toEqual(out(m, x));

    // file: URLs name a folder too.
    const viaUrl = await loadModel(pathToFileURL(dir));
    expect(out(viaUrl.model, x)).toEqual(out(m, x));

    for (const t of [x]) t.dispose();
    for (const mod of [m, loaded.model, viaUrl.model]) mod.dispose();
    for (const c of [crit, loaded.criterion!, viaUrl.criterion!]) c.dispose();
  });

  it('loads from bytes (a worker) and frees its temporary tensors', () => {
    const m = trainedNet();
    const bytes = encodeModel(m, { metadata });
    const x = tf.randomNormal([2, 12, 16, 1], 0, 1, 'float32', 5);
    const expected = out(m, x);
    const before = tf.memory().numTensors;
    const { model, metadata: md, criterion } = decodeModel(structuredClone(bytes));
    expect(criterion).toBeUndefined();
    expect(md).toEqual(metadata);
    expect(out(model, x)).toEqual(expected);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  it("round-trips a CNN + recurrent model (the CLI's crnn) and its SequencerCriterion", async () => {
    // NHWC [N, 12, 16, 1] → 4 steps of [N, 7] log-probabilities
    const crnn = () =>
      new Sequential(
        new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1),
        new SpatialBatchNormalization(4, 1e-3),
        new ReLU(true),
        new SpatialMaxPooling(2, 2, 2, 2).ceil(),
        new View(-1, 4 * 6 * 8),
        new Linear(4 * 6 * 8, 4 * 6),
        new View(-1, 4, 6),
        new SplitTable(1),
        new Sequencer(new Recurrent(5, new Linear(6, 5), new Linear(5, 5), new ReLU(), 4)),
        new Sequencer(new Sequential(new Linear(5, 7), new LogSoftMax())),
      );
    manualSeed(11);
    const m = crnn();
    const crit = new SequencerCriterion(new ClassNLLCriterion([1, 1, 2, 1, 1, 0.5, 1]), true);
    const x = tf.randomNormal([3, 12, 16, 1], 0, 1, 'float32', 21);
    const target = [
      [0, 1, 2],
      [3, 4, 5],
      [6, 0, 1],
      [2, 3, 4],
    ];
    // a few SGD steps, so that the weights and running statistics are not the initial ones
    for (let i = 0; i < 3; i++) {
      m.zeroGradParameters();
      const y = m.forward(x);
      crit.forward(y, target);
      m.backward(x, crit.backward(y, target));
      m.updateParameters(0.1);
    }
    m.evaluate();
    const outs = (mod: Module) => (mod.forward(x) as Tensor[]).map((t) => Array.from(t.dataSync()));
    const expected = outs(m);
    expect(expected).toHaveLength(4);

    const dir = join(root, 'runs', 'crnn');
    await saveModel(dir, m, { metadata, criterion: crit });
    const loaded = await loadModel(dir);
    expect(loaded.model.toString()).toBe(m.toString());
    expect(loaded.spec).toEqual(m.toSpec());
    expect(loaded.criterion!.toSpec()).toEqual(crit.toSpec());
    expect(outs(loaded.model)).toEqual(expected);
    expect(loaded.criterion!.forward(m.output, target)).toBe(crit.forward(m.output, target));

    const before = tf.memory().numTensors;
    const decoded = decodeModel(structuredClone(encodeModel(m, { metadata, criterion: crit })));
    expect(outs(decoded.model)).toEqual(expected);
    decoded.model.dispose();
    decoded.criterion!.dispose();
    expect(tf.memory().numTensors).toBe(before);

    x.dispose();
    for (const mod of [m, loaded.model]) mod.dispose();
    for (const c of [crit, loaded.criterion!]) c.dispose();
  });

  describe('over http', () => {
    let server: Server;
    let base = '';
    const files = new Map<string, Uint8Array>();
    beforeAll(async () => {
      server = createServer((req, res) => {
        const body = files.get(req.url ?? '');
        if (!body) return res.writeHead(404, 'Not Found').end();
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const addr = server.address();
      base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    });
    afterAll(() => server?.close());

    it('fetches both files from a base URL, with or without the trailing slash', async () => {
      const m = trainedNet();
      const { json, weights } = encodeModel(m, { metadata });
      files.set('/models/a/model.json', json);
      files.set('/models/a/weights.safetensors', weights);
      const x = tf.randomNormal([2, 12, 16, 1], 0, 1, 'float32', 6);
      for (const url of [`${base}/models/a`, `${base}/models/a/`]) {
        const loaded = await loadModel(url);
        expect(loaded.metadata).toEqual(metadata);
        expect(out(loaded.model, x)).toEqual(out(m, x));
        loaded.model.dispose();
      }
      x.dispose();
      m.dispose();
    });

    it('names the URL that failed and its HTTP status', async () => {
      files.set('/models/b/model.json', new TextEncoder().encode('{}'));
      const e = (await loadModel(`${base}/models/b/`).catch((x: unknown) => x)) as ModelFetchError;
      expect(e).toBeInstanceOf(ModelFetchError);
      expect(e).toBeInstanceOf(ModelFileError);
      expect(e.message).toBe(`loadModel: GET ${base}/models/b/weights.safetensors: 404 Not Found`);
      expect([e.status, e.url]).toEqual([404, `${base}/models/b/weights.safetensors`]);
    });
  });

  describe('over http: timeouts, aborts, short bodies, network errors', () => {
    let server: Server;
    let base = '';
    const sockets = new Set<import('node:net').Socket>();
    const { json, weights } = (() => {
      const m = net();
      const r = encodeModel(m, { metadata });
      m.dispose();
      return r;
    })();
    beforeAll(async () => {
      server = createServer((req, res) => {
        const url = req.url ?? '';
        const body = url.endsWith('/model.json') ? json : weights;
        if (url.startsWith('/hang/')) return; // never answers
        if (url.startsWith('/slow-body/')) {
          res.writeHead(200, { 'content-length': String(body.length) });
          res.write(body.subarray(0, 10)); // then nothing
          return;
        }
        if (url.startsWith('/reset/')) {
          res.writeHead(200, { 'content-length': String(body.length) });
          res.write(body.subarray(0, Math.floor(body.length / 3)), () => res.socket?.destroy());
          return;
        }
        if (url.startsWith('/ok/')) return res.writeHead(200).end(body);
        res.writeHead(404, 'Not Found').end();
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const addr = server.address();
      base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server?.close(r));
    });

    const failure = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error('expected loadModel to fail');
        },
        (e: unknown) => e as ModelFetchError,
      );

    it('a server that never answers: the timeout fires, naming the URL', async () => {
      const t0 = Date.now();
      const e = await failure(loadModel(`${base}/hang/m`, { timeoutMs: 300 }));
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(e).toBeInstanceOf(ModelFetchError);
      expect(e.message).toMatch(new RegExp(`^loadModel: GET ${base}/hang/m/(model\\.json|weights\\.safetensors): no answer within 300 ms \\(timeoutMs\\)$`));
      // A body that stops arriving is timed out too.
      const slow = await failure(loadModel(`${base}/slow-body/m`, { timeoutMs: 300 }));
      expect(slow.message).toMatch(/^loadModel: GET .*\/slow-body\/m\/.*: no complete body within 300 ms \(timeoutMs\)$/);
    });

    it('the caller can abort', async () => {
      const ctrl = new AbortController();
      setTimeout(() => ctrl.abort(new Error('user cancelled')), 100);
      const e = await failure(loadModel(`${base}/hang/m`, { signal: ctrl.signal }));
      expect(e.message).toMatch(/^loadModel: GET .*\/hang\/m\/.*: aborted \(user cancelled\)$/);
      const pre = new AbortController();
      pre.abort();
      await expect(loadModel(`${base}/ok/m`, { signal: pre.signal })).rejects.toThrow(/: aborted/);
    });

    it('a 404 names the URL and the status', async () => {
      const e = await failure(loadModel(`${base}/missing/m`));
      expect(e.message).toMatch(new RegExp(`^loadModel: GET ${base}/missing/m/(model\\.json|weights\\.safetensors): 404 Not Found$`));
      expect(e.status).toBe(404);
    });

    it('a body cut short by a reset connection: the response ended early', async () => {
      const e = await failure(loadModel(`${base}/reset/m`, { timeoutMs: 5000 }));
      expect(e.message).toMatch(new RegExp(`^loadModel: GET ${base}/reset/m/(model\\.json|weights\\.safetensors): the response ended early \\(`));
    });

    it('a network failure names the URL and the cause code', async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as { port: number }).port;
      await new Promise((r) => closed.close(r));
      const e = await failure(loadModel(`http://127.0.0.1:${port}/m`));
      expect(e.message).toMatch(
        new RegExp(`^loadModel: GET http://127\\.0\\.0\\.1:${port}/m/(model\\.json|weights\\.safetensors): network error ECONNREFUSED`),
      );
      expect(e.code).toBe('ECONNREFUSED');
    });

    it('still loads from a healthy server with the options given', async () => {
      const { model } = await loadModel(`${base}/ok/m`, { timeoutMs: 5000 });
      model.dispose();
    });
  });

  describe('errors name the file at fault', () => {
    let dir = '';
    beforeAll(async () => {
      dir = join(root, 'bad');
      const m = net();
      await saveModel(dir, m, { metadata });
      m.dispose();
    });

    const copyTo = async (name: string, edit: { json?: string; weights?: Uint8Array }) => {
      const d = join(root, name);
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'model.json'), edit.json ?? (await readFile(join(dir, 'model.json'))));
      await writeFile(join(d, 'weights.safetensors'), edit.weights ?? (await readFile(join(dir, 'weights.safetensors'))));
      return d;
    };

    it('a missing file', async () => {
      const d = join(root, 'missing');
      await mkdir(d, { recursive: true });
      await writeFile(join(d, 'model.json'), await readFile(join(dir, 'model.json')));
      await expect(loadModel(d)).rejects.toThrow(`${join(d, 'weights.safetensors')}: no such file`);
      await expect(loadModel(join(root, 'nowhere'))).rejects.toThrow(ModelFileError);
    });

    it('corrupt JSON, another format, a newer version, a bad spec', async () => {
      const cases: [string, string | RegExp][] = [
        ['{"format": "captcha-nn-model", "vers', /model\.json: not valid JSON/],
        ['{"format": "keras", "version": 1}', 'model.json: not a captcha-nn-model file (format: "keras")'],
        ['{"format": "captcha-nn-model", "version": 2, "spec": {"type": "Linear"}}', 'model.json: version 2 is newer than this library reads (1)'],
        ['{"format": "captcha-nn-model", "version": 1}', "model.json: 'spec' is missing or not a module spec"],
        [
          '{"format": "captcha-nn-model", "version": 1, "spec": {"type": "Sequential", "children": [{"type": "Gizmo"}]}}',
          /model\.json: spec children\[0\]: unknown type 'Gizmo' \(known: /,
        ],
      ];
      for (const [i, [json, error]] of cases.entries()) {
        const d = await copyTo(`json${i}`, { json });
        await expect(loadModel(d)).rejects.toThrow(ModelFileError);
        await expect(loadModel(d)).rejects.toThrow(error);
        await expect(loadModel(d)).rejects.toThrow(join(d, 'model.json'));
      }
    });

    it('corrupt or truncated weights', async () => {
      const good = new Uint8Array(await readFile(join(dir, 'weights.safetensors')));
      const huge = good.slice();
      new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
      const d1 = await copyTo('w1', { weights: huge });
      await expect(loadModel(d1)).rejects.toThrow(SafetensorsError);
      await expect(loadModel(d1)).rejects.toThrow(`${join(d1, 'weights.safetensors')}: header length 1099511627776 runs past the end`);
      const d2 = await copyTo('w2', { weights: good.subarray(0, good.length - 10) });
      await expect(loadModel(d2)).rejects.toThrow(join(d2, 'weights.safetensors'));
    });

    it('model.json that is not JSON names the file', async () => {
      const d = await copyTo('garbled', { json: '{"format": "captcha-nn-model", "version": 1, "spec": {' });
      await expect(loadModel(d)).rejects.toThrow(new RegExp(`^${join(d, 'model.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON \\(.+\\)$`));
      const bin = await copyTo('binary', { json: '\u0000\u00ff\u00fe' });
      await expect(loadModel(bin)).rejects.toThrow(`${join(bin, 'model.json')}: not valid JSON`);
    });

    it('weights with the wrong dtype: named with the expected and the actual dtype', async () => {
      const m = net();
      const sd = m.stateDict();
      sd['6.weight']!.dispose();
      sd['6.weight'] = tf.ones([5, 48], 'int32');
      const weights = encodeSafetensors(sd);
      for (const t of Object.values(sd)) t.dispose();
      m.dispose();
      const d = await copyTo('int-weights', { weights });
      const err = (await loadModel(d).catch((e: unknown) => e)) as StateDictError;
      expect(err).toBeInstanceOf(StateDictError);
      expect(err.message).toBe(
        `${join(d, 'weights.safetensors')} does not fit ${join(d, 'model.json')}: wrong dtypes: 6.weight (expected float32, got int32, I32 in the file)`,
      );
    });

    it('NaN or infinite weights are rejected by default, naming the key; checkFinite: false loads them', async () => {
      const m = net();
      const sd = m.stateDict();
      sd['6.bias']!.dispose();
      sd['6.bias'] = tf.tensor1d([0, 0, NaN, Infinity, 0]);
      const weights = encodeSafetensors(sd);
      for (const t of Object.values(sd)) t.dispose();
      m.dispose();
      const d = await copyTo('nan-weights', { weights });
      await expect(loadModel(d)).rejects.toThrow(`${join(d, 'weights.safetensors')}: non-finite values: 6.bias (1 NaN, 1 infinite; first at index 2)`);
      const json = await readFile(join(d, 'model.json'));
      expect(() => decodeModel({ json, weights })).toThrow('weights.safetensors: non-finite values: 6.bias');
      const { model } = await loadModel(d, { checkFinite: false });
      model.dispose();
    });

    it('a spec that needs far more parameters than the weights hold is refused before it is built', async () => {
      // A deleted argument turns LSTM(5, 3, 9999) into LSTM(3, 9999): 400 million values, 3 GB with gradients.
      const spec = {
        type: 'Sequential',
        children: [
          { type: 'Linear', args: [48, 5] },
          { type: 'LSTM', args: [3, 9999, true] },
        ],
      };
      const json = JSON.stringify({ format: 'captcha-nn-model', version: 1, spec, metadata });
      const d = await copyTo('bomb-spec', { json });
      const before = process.memoryUsage().rss;
      const err = (await loadModel(d).catch((e: unknown) => e)) as Error;
      expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
      expect(err).toBeInstanceOf(ModelFileError);
      expect(err.message).toMatch(
        new RegExp(
          `^${join(d, 'model.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the spec needs at least 400\\d{6} parameter values \\(spec\\.children\\[1\\] \\(LSTM \\[3,9999\\]\\) alone 400\\d{6}\\), far more than .*weights\\.safetensors holds \\(\\d+\\); not building it$`,
        ),
      );
    });

    it('a spec that builds but does not make a working model: an error naming model.json, nothing leaked', async () => {
      // Sequencer given a plain object where its module belongs (no 'type': not a nested spec).
      const spec = {
        type: 'Sequential',
        children: [
          { type: 'Linear', args: [2, 2] },
          { type: 'Sequencer', args: [{ args: [5, 3] }] },
        ],
      };
      const d = await copyTo('broken-spec', { json: JSON.stringify({ format: 'captcha-nn-model', version: 1, spec, metadata }) });
      const before = tf.memory().numTensors;
      await expect(loadModel(d)).rejects.toThrow(new RegExp(`^${join(d, 'model.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      expect(tf.memory().numTensors).toBe(before);
    });

    it('weights of another architecture: every offending key', async () => {
      const other = new Sequential(new SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1), new Linear(48, 6));
      const { weights } = encodeModel(other);
      other.dispose();
      const d = await copyTo('mismatch', { weights });
      const err = await loadModel(d).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateDictError);
      const e = err as StateDictError;
      expect(e.message).toContain(`${join(d, 'weights.safetensors')} does not fit ${join(d, 'model.json')}`);
      expect(e.unexpected).toEqual(['0.bias']);
      expect(e.misshapen).toEqual([
        { key: '1.weight', expected: [4], actual: [6, 48] },
        { key: '1.bias', expected: [4], actual: [6] },
      ]);
      expect(e.missing).toContain('1.running_mean');
      expect(e.missing).toContain('6.weight');
      expect(e.message).toMatch(/missing keys: .*1\.running_mean.*; unexpected keys: 0\.bias; misshapen keys: 1\.weight/);
    });
  });

  it('writes atomically: no temporary files left, after success or failure', async () => {
    const dir = join(root, 'atomic');
    const m = net();
    await saveModel(dir, m, { metadata });
    await saveModel(dir, m, { metadata: { ...metadata, length: 6 } }); // overwrite in place
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.safetensors']);
    expect((await loadModel(dir).then((r) => (r.model.dispose(), r.metadata))).length).toBe(6);

    // A folder where the weights file should be: the rename fails, the temporary file goes.
    const blocked = join(root, 'blocked');
    await mkdir(join(blocked, 'weights.safetensors'), { recursive: true });
    await expect(saveModel(blocked, m)).rejects.toThrow();
    expect((await readdir(blocked)).sort()).toEqual(['weights.safetensors']);

    // Metadata that is not JSON is refused before anything is written.
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(saveModel(join(root, 'cyclic'), m, { metadata: cyclic })).rejects.toThrow('metadata is not JSON-able');
    m.dispose();
  });
});
