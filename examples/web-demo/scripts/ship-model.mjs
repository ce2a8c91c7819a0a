// Ships a model trained by the CLI with the demo: copies RUN/best/ to public/model/, draws the 20
// shipped captchas with the CLI's generator, reads them in Node with `captcha-nn predict`, and records
// labels and Node's readings in public/captchas/index.json (what the tests hold the page to).
//
//   node examples/web-demo/scripts/ship-model.mjs runs/web-demo
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const bin = resolve(here, '../../packages/cli/dist/bin.js');
const run = process.argv[2];
if (!run) {
  console.error('usage: node examples/web-demo/scripts/ship-model.mjs RUN_DIR   (a run folder of captcha-nn train, with best/)');
  process.exit(2);
}
const cli = (args) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

const model = join(here, 'public/model');
rmSync(model, { recursive: true, force: true });
mkdirSync(model, { recursive: true });
for (const f of ['model.json', 'weights.safetensors']) copyFileSync(join(resolve(run), 'best', f), join(model, f));

const captchas = join(here, 'public/captchas');
rmSync(captchas, { recursive: true, force: true });
cli(['generate', '--count', '20', '--seed', 'web-demo-shipped', '--out', captchas, '--no-progress']);
const pngs = readdirSync(captchas)
  .filter((f) => f.endsWith('.png'))
  .sort();
const read = JSON.parse(cli(['predict', '--model', model, '--json', ...pngs.map((f) => join(captchas, f))]));
const files = pngs.map((file, i) => ({ file, label: file.replace(/^\d+_|\.png$/g, ''), node: read[i].text }));
const right = files.filter((f) => f.node === f.label).length;
const index = {
  files,
  node: { right, total: files.length, accuracy: right / files.length },
  how: 'node examples/web-demo/scripts/ship-model.mjs RUN (captcha-nn generate --count 20 --seed web-demo-shipped; captcha-nn predict --json)',
};
writeFileSync(join(captchas, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
console.log(`shipped ${run}/best; Node reads ${right} of ${files.length} shipped captchas`);
