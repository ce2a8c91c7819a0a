// A contact sheet of mix captchas (docs/images/mix-samples.png): images 0..count-1 of a seed, 4 a row, each
// with its label and source under it.
// Usage: npx tsup && node scripts/mix-samples.mjs [out=../../docs/images/mix-samples.png] [count=24] [seed=1]
import { writeFileSync } from 'node:fs';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import { MixCaptchaGenerator } from '../dist/index.js';

const out = process.argv[2] ?? new URL('../../../docs/images/mix-samples.png', import.meta.url).pathname;
const count = Number(process.argv[3] ?? 24);
const seed = process.argv[4] ?? '1';
const gen = new MixCaptchaGenerator({ seed });
const cols = 4;
const pad = 8;
const caption = 16;
const cellW = gen.width + pad;
const cellH = gen.height + caption + pad;
const rows = Math.ceil(count / cols);
const canvas = createCanvas(cols * cellW + pad, rows * cellH + pad);
const ctx = canvas.getContext('2d');
ctx.fillStyle = '#e8e8e8';
ctx.fillRect(0, 0, canvas.width, canvas.height);
ctx.font = '12px "DejaVu Sans Mono"';
ctx.textBaseline = 'top';
for (let i = 0; i < count; i++) {
  const { rgba, label, source } = gen.render(i);
  const x = pad + (i % cols) * cellW;
  const y = pad + Math.floor(i / cols) * cellH;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(rgba), gen.width, gen.height), x, y);
  ctx.fillStyle = 'black';
  ctx.fillText(`${label}  (${source})`, x, y + gen.height + 2);
}
writeFileSync(out, canvas.encodeSync('png'));
console.log(`wrote ${count} mix captchas (${gen.width}x${gen.height}, seed ${seed}, fonts: ${gen.fonts.map((f) => f.family).join(', ')}) to ${out}`);
