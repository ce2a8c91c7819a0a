#!/usr/bin/env node
// Test accuracy of a trained classifier on an official test split, alone and with each image's mirror image
// averaged in (flip test-time augmentation), to see what that would add:
//   node scripts/flip-tta.mjs --model runs/NAME [--dataset fashion-mnist] [--threads 1]
// Prints one JSON line.
import { parseArgs } from 'node:util';
import { ready, setWasmThreads, tf } from '@captcha-nn/core';
import { batches } from '@captcha-nn/data';
import { loadCaptchaModel, openIdxSplit } from '@captcha-nn/train';
import '../dist/index.js'; // registers mnist and fashion-mnist

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' },
    dataset: { type: 'string', default: 'fashion-mnist' },
    threads: { type: 'string', default: '1' },
  },
});
if (!o.model) throw new Error('flip-tta: --model DIR is required');
setWasmThreads(Number(o.threads));
await ready();
const { model } = await loadCaptchaModel(o.model);
model.evaluate();
const test = await openIdxSplit({ kind: 'idx', dataset: o.dataset }, 't10k');
let alone = 0;
let flipped = 0;
let n = 0;
for await (const b of batches(test, { batchSize: 250, shuffle: false, normalize: 'unit' })) {
  const [a, f] = tf.tidy(() => {
    const p = tf.exp(model.forward(b.x));
    const mirror = tf.exp(model.forward(tf.reverse(b.x, 2))); // [N, H, W, C]: axis 2 is the width
    const y = b.y.reshape([-1]).toInt();
    return [tf.equal(p.argMax(-1), y).sum(), tf.equal(p.add(mirror).argMax(-1), y).sum()];
  });
  alone += (await a.data())[0];
  flipped += (await f.data())[0];
  n += b.x.shape[0];
  tf.dispose([a, f]);
  b.dispose();
}
console.log(JSON.stringify({ model: o.model, dataset: o.dataset, images: n, accuracy: alone / n, flipTta: flipped / n }));
