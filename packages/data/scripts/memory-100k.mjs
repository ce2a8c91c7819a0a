// 100,000 captcha files on disk (written on first run): opening and streaming them
// through `batches` keeps memory bounded.  node scripts/memory-100k.mjs DIR
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { openFolderDataset, batches, simplePreset, generateSample, encodePng } from '@captcha-nn/data';
import { setBackend, tf } from '@captcha-nn/core';
await setBackend('wasm');
const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
if (readdirSync(dir).length < 100000) {
  const gen = simplePreset('seed', { seed: 1 });
  const pngs = [];
  for (let i = 0; i < 50; i++) {
    const s = generateSample(gen, i, { format: 'gray' });
    pngs.push([encodePng(s.image), s.label]);
  }
  for (let i = 0; i < 100000; i++) {
    const [png, label] = pngs[i % 50];
    writeFileSync(`${dir}/${i}_${label}.png`, png);
  }
}
const mb = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const ds = await openFolderDataset(dir, {});
console.log(`opened ${ds.entries.length} entries, rss ${mb()} MB`);
let n = 0,
  peak = 0;
const t0 = Date.now();
for await (const b of batches(ds, { batchSize: 256, seed: 1 })) {
  n += b.x.shape[0];
  b.dispose();
  peak = Math.max(peak, mb());
  if (n % 25600 === 0) console.log(`${n} images, rss ${mb()} MB, tensors ${tf.memory().numTensors}`);
}
console.log(`streamed ${n} images in ${((Date.now() - t0) / 1000).toFixed(0)} s; peak rss ${peak} MB`);
