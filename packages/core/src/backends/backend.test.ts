/**
 * Backend selection: names, the environment variable, auto, and both error
 * paths of optional backends (none is installed here; "installed but cannot
 * start" is simulated by injecting the module importer).
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { tf } from '../tf';
import { BACKEND_NAMES, setBackend } from '../backend';
import { setImporterForTests } from './loaders';

afterEach(async () => {
  setImporterForTests(null);
  if ((tf.engine() as unknown as { registryFactory: Record<string, unknown> }).registryFactory.tensorflow) {
    tf.removeBackend('tensorflow');
  }
  delete process.env.CAPTCHA_NN_BACKEND;
  vi.restoreAllMocks();
  await setBackend('wasm');
});

describe('setBackend', () => {
  test('wasm and cpu start and report their names', async () => {
    expect(await setBackend('cpu')).toBe('cpu');
    expect(await setBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  test('CAPTCHA_NN_BACKEND picks the backend when no name is given', async () => {
    process.env.CAPTCHA_NN_BACKEND = 'cpu';
    expect(await setBackend()).toBe('cpu');
  });

  test('unknown names fail listing the valid ones', async () => {
    await expect(setBackend('cuda')).rejects.toThrow(`unknown backend 'cuda'. Valid names: ${BACKEND_NAMES.join(', ')}.`);
    process.env.CAPTCHA_NN_BACKEND = 'gpu';
    await expect(setBackend()).rejects.toThrow(/unknown backend 'gpu' \(from CAPTCHA_NN_BACKEND\)\. Valid names: wasm, cpu/);
  });

  test.each([
    ['tensorflow', 'npm install @tensorflow/tfjs-node '],
    ['tensorflow-gpu', 'npm install @tensorflow/tfjs-node-gpu '],
    ['webgpu', 'npm install @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu '],
  ])('a missing optional package (%s) fails at once, saying what to install and why', async (name, install) => {
    const t0 = performance.now();
    const err = await setBackend(name).catch((e: Error) => e);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('not installed');
    expect((err as Error).message).toContain(install);
    expect((err as Error).message).toMatch(/optional/);
    expect(tf.getBackend()).toBe('wasm');
  });

  test('webgl in Node says it needs a browser', async () => {
    await expect(setBackend('webgl')).rejects.toThrow(/needs a browser's WebGL/);
  });

  test('an installed backend that cannot start fails with the underlying reason', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    setImporterForTests(async (spec) => {
      expect(spec).toBe('@tensorflow/tfjs-node');
      // What tfjs-node does on import: register its backend; here its native library is unusable.
      tf.registerBackend('tensorflow', () => {
        throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
      });
      return {};
    });
    await expect(setBackend('tensorflow')).rejects.toThrow("backend 'tensorflow' failed to start: libtensorflow.so.2: cannot open shared object file");
    expect(tf.getBackend()).toBe('wasm');
  });

  test('an installed package that fails to load is not reported as missing', async () => {
    setImporterForTests(async () => {
      const e = new Error("Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'") as Error & { code: string };
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    });
    await expect(setBackend('tensorflow')).rejects.toThrow(/backend 'tensorflow' is installed but failed to load: Cannot find module .*tfjs_binding\.node/);
  });

  test('an async factory that rejects (webgpu without an adapter) reports its reason', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    setImporterForTests(async () => {
      tf.registerBackend('tensorflow', async () => {
        throw new Error('WebGPU is not supported: no adapter');
      });
      return {};
    });
    await expect(setBackend('tensorflow-gpu')).rejects.toThrow("backend 'tensorflow-gpu' failed to start: WebGPU is not supported: no adapter");
  });

  test('auto takes the fastest that starts (wasm here) and logs its choice', async () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    expect(await setBackend('auto')).toBe('wasm');
    expect(info).toHaveBeenCalledWith(
      expect.stringMatching(/'auto' chose 'wasm' \(skipped tensorflow-gpu: not installed; tensorflow: not installed; webgpu: not installed\)/),
    );
  });
});
