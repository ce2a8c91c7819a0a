// A contact sheet of a SimpleCaptcha preset: images 0..N-1 of one seed, 3 columns, each on white
// (as the loaders flatten transparency) with its label underneath.
// Usage (in packages/data): npm run build && node scripts/simplecaptcha-sheet.mjs [out] [preset=seed] [count=12]
// (out defaults to the repository's docs/images/simplecaptcha-seed-preset.png)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import { simplePreset } from '../dist/index.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../../../docs/images/simplecaptcha-seed-preset.png', import.meta.url));
const preset = process.argv[3] ?? 'seed';
const count = Number(process.argv[4] ?? 12);
const gen = simplePreset(preset, { seed: 'contact-sheet' });
const cols = 3;
const pad = 8;
const caption = 16;
const cellW = gen.width + pad;
const cellH = gen.height + caption + pad;
const sheet = createCanvas(cols * cellW + pad, Math.ceil(count / cols) * cellH + pad);
const ctx = sheet.getContext('2d');
ctx.fillStyle = '#ffffff';
ctx.fillRect(0, 0, sheet.width, sheet.height);
const tile = createCanvas(gen.width, gen.height);
const tctx = tile.getContext('2d');
for (let i = 0; i < count; i++) {
  const { rgba, label } = gen.render(i);
  const x = pad + (i % cols) * cellW;
  const y = pad + Math.floor(i / cols) * cellH;
  tctx.clearRect(0, 0, gen.width, gen.height);
  tctx.putImageData(new ImageData(rgba, gen.width, gen.height), 0, 0);
  ctx.drawImage(tile, x, y); // drawn over the white sheet, so transparent pixels show white
  ctx.strokeStyle = '#bbbbbb';
  ctx.strokeRect(x - 0.5, y - 0.5, gen.width + 1, gen.height + 1);
  ctx.fillStyle = '#333333';
  ctx.font = '12px "DejaVu Sans Mono", monospace';
  ctx.fillText(`${i}: ${label}`, x, y + gen.height + 13);
}
writeFileSync(out, sheet.encodeSync('png'));
console.log(`wrote ${out}: ${count} images of the '${preset}' preset (fonts: ${gen.fonts().join(', ')})`);
