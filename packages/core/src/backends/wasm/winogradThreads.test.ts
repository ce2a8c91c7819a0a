/**
 * tfjs's threaded wasm build in Node (nodeThreads.ts), with our Winograd
 * kernels sharing each convolution's tiles across its threads
 * (winogradThreads.ts): results against the cpu backend within the
 * single-threaded bounds, helpers actually used, no leaks, and the refusals.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { getWasmThreads, setBackend, setWasmThreads } from '../../backend';
import { tf } from '../../tf';
import { setWinograd, winogradCalls } from './winograd';
import { splitTiles } from './winogradThreads';
import { relErrors, testShapesAgainstCpu, trainingSteps } from './winogradTesting';

beforeAll(async () => {
  setWasmThreads(2);
  await setBackend('wasm');
});
afterEach(() => setWinograd('auto'));
afterAll(async () => {
  // Back to the single-threaded build for whatever runs next in this worker.
  setWasmThreads(1);
  await setBackend('wasm');
});

describe('splitTiles', () => {
  test('splits whole blocks into contiguous, even ranges that cover every tile once', () => {
    expect(splitTiles(160, 24, 2)).toEqual([
      [0, 72],
      [72, 160],
    ]);
    expect(splitTiles(100, 24, 3)).toEqual([
      [0, 24],
      [24, 72],
      [72, 100],
    ]);
    // Fewer blocks than threads: one range per block.
    expect(splitTiles(30, 24, 4)).toEqual([
      [0, 24],
      [24, 30],
    ]);
    expect(splitTiles(5, 24, 2)).toEqual([[0, 5]]);
  });
});

describe('the threaded wasm build, 2 threads', () => {
  test('runs with 2 threads', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(getWasmThreads()).toBe(2);
  });

  testShapesAgainstCpu();

  test('a convolution with several blocks of tiles shares them with the helper thread', async () => {
    // [2, 40, 30] at F(2×2): 600 tiles, 25 forward blocks and 13 filter-gradient blocks.
    const before = winogradCalls.threaded;
    const [ey, edx, edw] = await relErrors({ x: [2, 40, 30, 5] }, 6, 'f2');
    expect(Math.max(ey, edx, edw)).toBeLessThan(1e-4);
    expect(winogradCalls.threaded - before).toBe(4);
  });

  test('SpatialConvolution training steps leak no tensors, every Winograd call shared', () => {
    // Each step: forward, input gradient and filter gradient, all with the helper.
    expect(trainingSteps([4, 21, 23, 16], () => winogradCalls.threaded)).toEqual({ counted: 9, tensors: 0, bytes: 0 });
  });

  test('changing the threads while the backend holds tensors is refused, naming why', async () => {
    const t = tf.ones([2]);
    setWasmThreads(3);
    await expect(setBackend('wasm')).rejects.toThrow(/runs with 2 thread\(s\) and holds \d+ tensor\(s\), which a restart would lose/);
    t.dispose();
    setWasmThreads(2);
    await setBackend('wasm');
    expect(getWasmThreads()).toBe(2);
  });

  test('thread counts outside 1..8 are refused by name', () => {
    expect(() => setWasmThreads(0)).toThrow(/setWasmThreads: threads must be an integer from 1 to 8, got 0/);
    expect(() => setWasmThreads(1.5)).toThrow(/got 1.5/);
  });
});
