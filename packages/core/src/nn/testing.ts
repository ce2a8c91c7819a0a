import { expect } from 'vitest';
import { tf } from '../tf';
import type { Module } from './Module';

/**
 * Test helper (not exported by the package): repeated forward/backward steps
 * of `module` on a random [4, 5] input keep `tf.memory().numTensors` flat.
 * Disposes the module.
 */
export function expectFlatMemory(module: Module, shape: number[] = [4, 5]): void {
  const x = tf.randomNormal(shape);
  const dy = tf.randomNormal(shape);
  module.forward(x);
  module.backward(x, dy);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 10; i++) {
    module.forward(x);
    module.backward(x, dy);
  }
  expect(tf.memory().numTensors).toBe(before);
  module.dispose();
  x.dispose();
  dy.dispose();
}
