/**
 * AdamUpdate's JavaScript loop (a browser's first steps, before the SIMD
 * module is instantiated) against the composed ops on cpu. The SIMD route
 * is in kernels.test.ts.
 */
import { afterAll, test } from 'vitest';
import { expectClose } from '../../nn/testing';
import { tf } from '../../tf';
import { adamLoop } from './AdamUpdate';

afterAll(async () => {
  await tf.setBackend('wasm');
});

test('one Adam step in JavaScript matches the composed ops', async () => {
  await tf.setBackend('cpu');
  const n = 37;
  // v, the second moment, is never negative.
  const [x, m, v, g] = [1, 2, 3, 4].map((k) =>
    k === 3
      ? tf
          .sin(tf.linspace(0, 3 * k, n))
          .square()
          .mul(0.01)
      : tf.sin(tf.linspace(0, 3 * k, n)),
  );
  const attrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepSize: 0.003 };
  // adam.ts's composed ops, in their order.
  const m1 = m!.mul(attrs.beta1).add(g!.mul(1 - attrs.beta1));
  const v1 = v!.mul(attrs.beta2).add(g!.square().mul(1 - attrs.beta2));
  const x1 = x!.sub(m1.div(v1.sqrt().add(attrs.epsilon)).mul(attrs.stepSize));
  const to = { x: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
  const data = (t: tf.Tensor) => t.dataSync() as Float32Array;
  adamLoop({ x: data(x!), m: data(m!), v: data(v!), g: data(g!) }, to, attrs);
  expectClose([to.x, to.m, to.v], [data(x1), data(m1), data(v1)], { atol: 1e-7, rtol: 1e-6 });
});
