// A small end-to-end training run on the embedded wasm backend: a Torch-style
// convnet learns to tell the orientation of noisy bars in generated 16×16
// images, with the classic Torch loop and optim.sgd. `npm start` runs it.
import {
  Sequential,
  SpatialConvolution,
  SpatialBatchNormalization,
  ReLU,
  SpatialMaxPooling,
  View,
  Linear,
  CrossEntropyCriterion,
  optim,
  manualSeed,
  setBackend,
  tf,
} from '@captcha-nn/core';
import seedrandom from 'seedrandom';

const SIZE = 16;
const CLASSES = ['horizontal', 'vertical', 'diagonal', 'anti-diagonal'];

/** A batch of noisy bar images, NHWC, with their class indices. */
function makeBatch(n, rng) {
  const pixels = new Float32Array(n * SIZE * SIZE);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * CLASSES.length);
    labels[i] = c;
    const off = Math.floor(rng() * (SIZE - 4)) + 2;
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const onBar = [y === off, x === off, x === y + off - SIZE / 2, x + y === off + SIZE / 2][c];
        pixels[i * SIZE * SIZE + y * SIZE + x] = (onBar ? 1 : 0) + (rng() - 0.5) * 0.6;
      }
  }
  return { x: tf.tensor4d(pixels, [n, SIZE, SIZE, 1]), y: tf.tensor1d(labels, 'int32') };
}

const backend = await setBackend(process.env.CAPTCHA_NN_BACKEND ?? 'wasm');
manualSeed(1);
const rng = seedrandom('demo');
const model = new Sequential(
  new SpatialConvolution(1, 8, 3, 3, 1, 1, 1, 1),
  new SpatialBatchNormalization(8),
  new ReLU(true),
  new SpatialMaxPooling(2, 2, 2, 2),
  new SpatialConvolution(8, 16, 3, 3, 1, 1, 1, 1),
  new SpatialBatchNormalization(16),
  new ReLU(true),
  new SpatialMaxPooling(2, 2, 2, 2),
  new View(-1, 16 * 4 * 4),
  new Linear(16 * 4 * 4, CLASSES.length),
);
const criterion = new CrossEntropyCriterion();
console.log(`backend: ${backend}\n${model.toString()}\n`);

const [params, gradParams] = model.parameters();
const config = { learningRate: 0.05, momentum: 0.9 };
const steps = 150;
const t0 = Date.now();
for (let step = 1; step <= steps; step++) {
  const { x, y } = makeBatch(32, rng);
  const [, [loss]] = optim.sgd(
    () => {
      model.zeroGradParameters();
      const out = model.forward(x);
      const l = criterion.forward(out, y);
      model.backward(x, criterion.backward(out, y));
      return [l, gradParams];
    },
    params,
    config,
  );
  x.dispose();
  y.dispose();
  if (step % 25 === 0) console.log(`step ${step}/${steps}  loss ${loss.toFixed(4)}  tensors ${tf.memory().numTensors}`);
}
const seconds = (Date.now() - t0) / 1000;

model.evaluate();
const test = makeBatch(500, seedrandom('held-out'));
const predicted = tf.tidy(() => tf.argMax(model.forward(test.x), 1));
const accuracy = tf.tidy(() => tf.mean(tf.equal(predicted, test.y).cast('float32')).dataSync()[0]);
console.log(`\ntrained ${steps} steps in ${seconds.toFixed(1)} s; held-out accuracy ${(accuracy * 100).toFixed(1)}% on 500 images`);
if (accuracy < 0.9) {
  console.error('accuracy below 90%: something is wrong');
  process.exit(1);
}
