// Generator speed on one core: captchas rendered per second (RGBA, no PNG encode), median of 5 runs.
// Usage: npm run build && node scripts/bench.mjs [count=1000]
import { MixCaptchaGenerator, simplePreset, SvgCaptchaGenerator } from '../dist/index.js';

const count = Number(process.argv[2] ?? 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gens = {
  'simple seed': simplePreset('seed', { seed: 1 }),
  'simple variable': simplePreset('variable', { seed: 1 }),
  'simple hard': simplePreset('hard', { seed: 1 }),
  'svg 200x50': new SvgCaptchaGenerator({ seed: 1, width: 200, height: 50, length: 5 }),
  'mix 160x64': new MixCaptchaGenerator({ seed: 1 }),
};
for (const [name, g] of Object.entries(gens)) {
  for (let i = 0; i < 50; i++) g.render(i); // warm-up
  const rates = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < count; i++) g.render(r * count + i);
    rates.push(count / ((performance.now() - t) / 1000));
  }
  console.log(`${name.padEnd(16)} ${median(rates).toFixed(0)} captchas/s (median of 5 x ${count})`);
}
