// One picture per real captcha scheme (issue #18): the real library's captchas on the top row, and under them
// what the general model pre-trains on, the `mix` generator at the scheme's size, length and charset.
// Gregwar, django, GD::SecurityImage, Text_CAPTCHA and simple_captcha2 run the real libraries (Debian packages, see THIRD_PARTY); svg-captcha is the npm package.
// SimpleCaptcha (Java) is not installable here; docs/images/simplecaptcha-seed-preset.png shows our imitation.
// Usage (in packages/data): npm run build && node scripts/scheme-sheets.mjs [outDir=../../docs/images] [count=6]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, ImageData, loadImage } from '@napi-rs/canvas';
import { generateThirdParty, MixCaptchaGenerator, SvgCaptchaGenerator, THIRD_PARTY, thirdPartyProblem } from '../dist/index.js';

const outDir = process.argv[2] ?? fileURLToPath(new URL('../../../docs/images', import.meta.url));
const count = Number(process.argv[3] ?? 6);
const SEED = 'scheme-sheet';

/** A drawable per sample: { image (canvas or Image), label }. */
async function realThirdParty(generator) {
  const problem = thirdPartyProblem(generator);
  if (problem) throw new Error(`scheme-sheets: ${problem}`);
  const dir = mkdtempSync(join(tmpdir(), `scheme-${generator}-`));
  try {
    const files = await generateThirdParty({ generator, count, seed: SEED, out: dir });
    return await Promise.all(files.map(async (f) => ({ image: await loadImage(readFileSync(join(dir, f.file))), label: f.label })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fromRgba({ rgba, label }, width, height) {
  const c = createCanvas(width, height);
  c.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  return { image: c, label };
}

function realSvg() {
  const gen = new SvgCaptchaGenerator({ length: [4, 6], seed: SEED });
  return Array.from({ length: count }, (_, i) => fromRgba(gen.render(i), gen.width, gen.height));
}

function mixLike(width, height, length, charset) {
  const gen = new MixCaptchaGenerator({ seed: SEED, width, height, length, charset });
  return Array.from({ length: count }, (_, i) => fromRgba(gen.render(i), width, height));
}

/** Two rows, each headed: the real captchas at their own size, ours at the scheme's. Scaled 2× for reading. */
function sheet(title, rows) {
  const scale = 2;
  const pad = 10;
  const caption = 18;
  const header = 22;
  const cellW = Math.max(...rows.flatMap((r) => r.samples.map((s) => s.image.width))) * scale + pad;
  const cellH = Math.max(...rows.flatMap((r) => r.samples.map((s) => s.image.height))) * scale + caption;
  const c = createCanvas(count * cellW + pad, rows.length * (header + cellH) + header + pad);
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = '#000000';
  ctx.font = 'bold 15px "DejaVu Sans"';
  ctx.fillText(title, pad, 17);
  rows.forEach((row, r) => {
    const y0 = header + r * (header + cellH);
    ctx.fillStyle = '#333333';
    ctx.font = '13px "DejaVu Sans"';
    ctx.fillText(row.heading, pad, y0 + 16);
    row.samples.forEach((s, i) => {
      const x = pad + i * cellW;
      const y = y0 + header;
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(s.image, x, y, s.image.width * scale, s.image.height * scale);
      ctx.strokeStyle = '#bbbbbb';
      ctx.strokeRect(x - 0.5, y - 0.5, s.image.width * scale + 1, s.image.height * scale + 1);
      ctx.fillStyle = '#333333';
      ctx.font = '12px "DejaVu Sans Mono"';
      ctx.fillText(s.label, x, y + s.image.height * scale + 14);
    });
  });
  return c.encodeSync('png');
}

/** A real library's scheme: its captchas, and ours at `size` ([width, height]; default the first real one's), its length and charset. */
function thirdPartyScheme(generator, title, size) {
  const { length, charset } = THIRD_PARTY[generator];
  return {
    name: generator,
    title,
    real: () => realThirdParty(generator),
    ours: (real) => mixLike(...(size ?? [real[0].image.width, real[0].image.height]), length, charset),
  };
}

const schemes = [
  thirdPartyScheme('gregwar', 'Gregwar/Captcha (PHP), 150x40', [150, 40]),
  thirdPartyScheme('django', 'django-simple-captcha (Python), its own size'),
  {
    name: 'svg-captcha',
    title: 'svg-captcha (npm), 4-6 characters',
    real: () => realSvg(),
    ours: (real) => mixLike(real[0].image.width, real[0].image.height, [4, 6], new SvgCaptchaGenerator().charset),
  },
  // Held out: nothing was tuned on these (docs/data.md).
  thirdPartyScheme('securityimage-catalyst', "GD::SecurityImage (Perl) in Catalyst::Plugin::Captcha's settings, 80x30 (held out)", [80, 30]),
  thirdPartyScheme('securityimage-cgiapp', "GD::SecurityImage (Perl) in CGI::Application::Plugin::CAPTCHA's settings, 150x40 (held out)", [150, 40]),
  thirdPartyScheme('textcaptcha', "PEAR Text_CAPTCHA (PHP) in its example's settings, 200x80 (held out)", [200, 80]),
  thirdPartyScheme('rails-simplecaptcha', "Rails' simple_captcha2 (Ruby, ImageMagick) with its defaults, 100x28 (held out)", [100, 28]),
  thirdPartyScheme('rails-simplecaptcha-random', "Rails' simple_captcha2 with its random style and distortion, 100x28 to 100x38 (held out)", [100, 28]),
];

for (const s of schemes) {
  const real = await s.real();
  const ours = s.ours(real);
  const file = join(outDir, `scheme-${s.name}.png`);
  writeFileSync(
    file,
    sheet(s.title, [
      { heading: 'the real library', samples: real },
      { heading: "our mix generator at the scheme's size, length and charset (the general model's pre-training data)", samples: ours },
    ]),
  );
  console.log(`wrote ${file}: ${count} real and ${count} mix captchas`);
}
