import { expect } from 'vitest';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import type { Module } from './Module';

/**
 * Test helper (not exported by the package): Torch training steps of
 * `module` (forward, zeroGradParameters, backward, updateParameters) on
 * `input` and `gradOutput` keep `tf.memory().numTensors` flat after the
 * first. Returns that count, for checks that follow.
 */
export function expectFlatSteps(module: Module, input: Activity, gradOutput: Activity, steps = 5): number {
  const step = () => {
    module.forward(input);
    module.zeroGradParameters();
    module.backward(input, gradOutput);
    module.updateParameters(0.01);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) step();
  expect(tf.memory().numTensors).toBe(before);
  return before;
}

/** `expectFlatSteps` on a random input and gradOutput of `shape`; disposes the module and both. */
export function expectFlatMemory(module: Module, shape: number[] = [4, 5]): void {
  const x = tf.randomNormal(shape);
  const dy = tf.randomNormal(shape);
  expectFlatSteps(module, x, dy, 10);
  module.dispose();
  x.dispose();
  dy.dispose();
}
