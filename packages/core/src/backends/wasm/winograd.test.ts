/**
 * Winograd convolution on wasm against the cpu backend's conv2d: forward,
 * input gradient and filter gradient, both tile sizes, shapes that do not tile evenly, channel
 * counts off the kernel's 4/8 blocking, batch 1 and more; and the layers it
 * must leave to XNNPACK.
 */
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { tf } from '../../tf';
import { setWinograd, winogradCalls, type WinogradMode } from './winograd';
import { type Case, relErrors, testShapesAgainstCpu, trainingSteps } from './winogradTesting';

afterEach(() => setWinograd('auto'));
afterAll(async () => {
  await tf.setBackend('wasm');
});

describe('Winograd conv2d on wasm matches the cpu backend within 1e-4 of the output scale', () => {
  testShapesAgainstCpu();

  test('explicit padding 1 on every side takes Winograd too', async () => {
    const before = winogradCalls.f4;
    const [ey] = await relErrors(
      {
        x: [2, 7, 9, 12],
        pad: [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
      },
      10,
      'f4',
    );
    expect(ey).toBeLessThan(1e-4);
    expect(winogradCalls.f4 - before).toBe(3);
  });

  test('F(4×4) keeps float32 error within 1e-4 at VGG widths and He-initialised weights', async () => {
    // 256 → 256 channels, inputs as after a ReLU, weights of std √(2/fan-in): the seed VGG's third
    // stage at batch 2 (too slow for the cpu backend; XNNPACK agrees with it to about 1e-6). The error
    // grows with the channels summed, not the batch; batch 8 took over a minute on a loaded CI machine.
    const errors = await relErrors({ x: [2, 13, 50, 256] }, 256, 'f4', Math.sqrt(6 / (9 * 256)), true);
    for (const e of errors) expect(e).toBeLessThan(1e-4);
  }, 180_000);
});

describe('what Winograd leaves to XNNPACK', () => {
  const others: [string, Case, number][] = [
    ['stride 2', { x: [2, 9, 9, 8], stride: 2 }, 8],
    ['5×5 filter', { x: [1, 9, 9, 8], k: 5 }, 8],
    ['valid padding', { x: [1, 9, 9, 8], pad: 'valid' }, 8],
    [
      'padding 2',
      {
        x: [1, 9, 9, 8],
        pad: [
          [0, 0],
          [2, 2],
          [2, 2],
          [0, 0],
        ],
      },
      8,
    ],
  ];
  for (const [name, c, cout] of others)
    test(`${name}: XNNPACK, still right`, async () => {
      const before = winogradCalls.f4 + winogradCalls.filterGradF4;
      const errors = await relErrors(c, cout, 'f4');
      for (const e of errors) expect(e).toBeLessThan(1e-4);
      // The input gradient of a padding-2 3×3 conv is a padding-0 conv, of stride 2 a strided one: none qualify.
      expect(winogradCalls.f4 + winogradCalls.filterGradF4 - before).toBe(0);
    });

  test("'auto': F(4×4) forward and input gradient, F(2×2) filter gradient, once there are 64 tiles of 4×4", async () => {
    const before = [winogradCalls.f2, winogradCalls.f4, winogradCalls.filterGradF2, winogradCalls.filterGradF4];
    await relErrors({ x: [4, 16, 13, 16] }, 16, 'auto');
    const after = [winogradCalls.f2, winogradCalls.f4, winogradCalls.filterGradF2, winogradCalls.filterGradF4];
    expect(after.map((v, i) => v - before[i])).toEqual([0, 3, 1, 0]);
  });

  test("'off' keeps XNNPACK; 'auto' leaves a 1-channel first layer to it and takes Winograd for a wide one", async () => {
    const calls = () => winogradCalls.f2 + winogradCalls.f4 + winogradCalls.filterGradF2 + winogradCalls.filterGradF4;
    let before = calls();
    await relErrors({ x: [2, 8, 8, 16] }, 16, 'off');
    expect(calls() - before).toBe(0);
    before = calls();
    await relErrors({ x: [2, 8, 8, 1] }, 16, 'auto');
    expect(calls() - before).toBe(0);
    before = calls();
    await relErrors({ x: [2, 8, 8, 16] }, 16, 'auto');
    expect(calls() - before).toBe(4);
  });

  test('an unknown mode is refused by name', () => {
    expect(() => setWinograd('f6' as WinogradMode)).toThrow(/setWinograd: unknown mode 'f6'/);
  });
});

test('SpatialConvolution training steps on Winograd leak no tensors', async () => {
  await tf.setBackend('wasm');
  // Each step: a forward and the input gradient on F(4×4), and a filter gradient.
  const r = trainingSteps([2, 11, 13, 16], () => winogradCalls.f4 + 10 * winogradCalls.filterGradF4);
  expect(r).toEqual({ counted: 3 * (2 + 10), tensors: 0, bytes: 0 });
});
