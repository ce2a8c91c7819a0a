/**
 * Gradient overrides, for every backend. Idempotent. Must run after
 * tfjs-core's own gradient registrations (src/tf.ts imports them).
 */
import { registerGradient } from '@tensorflow/tfjs-core';
import { conv2DGradConfig } from './Conv2D_grad';
import { reluGradientConfig } from './Relu_grad';

let registered = false;

export function registerGradients(): void {
  if (registered) return;
  registered = true;
  registerGradient(conv2DGradConfig);
  registerGradient(reluGradientConfig);
}
