#!/usr/bin/env node
// Issue #17 part 3, a measurement only: how much would relaxed SIMD's fused
// multiply-add (f32x4.relaxed_madd) gain in the Winograd kernels' two GEMM
// micro-kernels (kernel6x8, kernel4x8t of packages/core/wasm/winograd.c)?
// Node 20 (V8 11.3) has relaxed SIMD only behind a flag, so it is not wired
// into core; see docs/results.md, "Relaxed SIMD".
//   node --experimental-wasm-relaxed-simd benchmarks/winograd/relaxed.mjs [rounds]
// Builds two modules from the same source with Debian's clang 14 (as
// wasm/build.sh): plain SIMD, and one whose GEMM accumulations `c = c + v·b`
// become __builtin_wasm_fma_f32x4(v, b, c). Clang 14 still emits the
// proposal's old opcode for it (0xfd 0xaf 0x01), which V8 rejects even with
// the flag, so its bytes are rewritten to relaxed_madd's final opcode
// (0xfd 0x85 0x02, a·b + c, same length). Then, interleaved on the
// benchmark's layer shapes, each round times both modules on the same inputs:
// forward (filter transform + conv, F(4×4) or F(2×2) as `auto` picks) and the
// F(2×2) filter gradient, on their own wasm memories (not through tfjs).
// Ratios (plain time / relaxed time) are medians of per-round ratios; the
// relative difference of the two results checks the rewrite.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROUNDS = Number(process.argv[2] ?? 7);
const SHAPES = [
  [8, 50, 200, 64, 64],
  [8, 25, 100, 64, 128],
  [8, 25, 100, 128, 128],
  [8, 13, 50, 256, 256],
  [8, 7, 25, 512, 512],
  [8, 4, 13, 512, 512],
  [32, 25, 100, 32, 64],
  [32, 13, 50, 64, 128],
  [32, 28, 28, 16, 16],
  [32, 14, 14, 32, 32],
  [32, 7, 7, 64, 64],
  [32, 28, 28, 64, 64],
  [32, 14, 14, 128, 128],
  [32, 7, 7, 256, 256],
];
const SRC = new URL('../../packages/core/wasm/winograd.c', import.meta.url);
const EXPORTS = [
  '__stack_pointer',
  'conv_f2',
  'conv_f4',
  'filter_f2',
  'filter_f4',
  'filter_grad_sum_f2',
  'filter_grad_sum_f4',
  'filter_grad_out_f2',
  'filter_grad_out_f4',
];
const OLD_FMA = Buffer.from([0xfd, 0xaf, 0x01]);
const RELAXED_MADD = Buffer.from([0xfd, 0x85, 0x02]);

function build(relaxed) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'winograd-relaxed-'));
  let src = fs.readFileSync(SRC, 'utf8');
  if (relaxed) {
    const fused = src.replace(/(c\d\d) = ADD\(\1, MUL\(v, (b\d)\)\);/g, '$1 = __builtin_wasm_fma_f32x4(v, $2, $1);');
    if (fused === src) throw new Error('relaxed.mjs: no GEMM accumulation found in winograd.c (expected `cXY = ADD(cXY, MUL(v, bZ));`)');
    src = fused;
  }
  fs.writeFileSync(path.join(dir, 'w.c'), src);
  const flags = ['--target=wasm32', '-O3', '-msimd128', ...(relaxed ? ['-mrelaxed-simd'] : []), '-mbulk-memory', '-mmutable-globals'];
  const link = ['-nostdlib', '-ffreestanding', '-Wl,--no-entry', '-Wl,--import-memory', '-Wl,--strip-all', ...EXPORTS.map((e) => `-Wl,--export=${e}`)];
  execFileSync(process.env.CLANG ?? 'clang', [...flags, ...link, '-o', path.join(dir, 'w.wasm'), path.join(dir, 'w.c')]);
  let bytes = fs.readFileSync(path.join(dir, 'w.wasm'));
  fs.rmSync(dir, { recursive: true });
  if (relaxed) {
    let n = 0;
    for (let i = bytes.indexOf(OLD_FMA); i >= 0; i = bytes.indexOf(OLD_FMA, i + 3), n++) RELAXED_MADD.copy(bytes, i);
    if (n === 0) throw new Error('relaxed.mjs: no fma opcode in the relaxed build');
    bytes = Buffer.from(bytes);
  }
  if (!WebAssembly.validate(bytes)) {
    throw new Error(`relaxed.mjs: the ${relaxed ? 'relaxed' : 'plain'} module does not validate (run node with --experimental-wasm-relaxed-simd)`);
  }
  const memory = new WebAssembly.Memory({ initial: 4096 });
  const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  e.__stack_pointer.value = 1 << 20; // the heap below starts above the 1 MB shadow stack
  return { memory, e };
}

const variants = [build(false), build(true)];
let seed = 1;
const rnd = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
// As winogradTile ('auto') and tileBlock in packages/core/src/backends/wasm/winograd.ts.
const tile = (n, h, w, cin, cout) => (cin < 8 || cout < 8 ? 2 : n * Math.ceil(h / 4) * Math.ceil(w / 4) >= 64 ? 4 : 2);
const block = (tiles, filterGrad) => {
  const all = Math.ceil(tiles / 6) * 6;
  return filterGrad ? Math.min(48, all) : all <= 120 ? all : 24;
};
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const relDiff = (off, len) => {
  const a = new Float32Array(variants[0].memory.buffer, off, len);
  const b = new Float32Array(variants[1].memory.buffer, off, len);
  let d = 0;
  let s = 0;
  for (let i = 0; i < len; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(a[i]));
  }
  return d / s;
};

console.log(`${process.version} (V8 ${process.versions.v8}), ${ROUNDS} rounds, ${new Date().toISOString()}, load ${os.loadavg()[0].toFixed(1)}`);
console.log('| N,H,W,Cin→Cout | fwd | plain ms | relaxed ms | fwd plain/relaxed | grad plain ms | grad relaxed ms | grad plain/relaxed | rel. diff y, dW |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const all = [];
for (const [n, h, w, cin, cout] of SHAPES) {
  const m = tile(n, h, w, cin, cout);
  const cin4 = Math.ceil(cin / 4) * 4;
  const cout8 = Math.ceil(cout / 8) * 8;
  const [nx, ny, ng] = [n * h * w * cin, n * h * w * cout, 9 * cin * cout];
  const tiles = (t) => n * Math.ceil(h / t) * Math.ceil(w / t);
  const tbF = block(tiles(m), false);
  const tbG = block(n * Math.ceil(h / 2) * Math.ceil(w / 2), true);
  let top = 1 << 20;
  const alloc = (floats) => {
    const at = top;
    top += Math.ceil((floats * 4) / 64) * 64;
    return at;
  };
  const at = {
    zeros: alloc(4104),
    x: alloc(nx),
    g: alloc(ng),
    y: alloc(ny),
    dy: alloc(ny),
    dw: alloc(ng),
    u: alloc(36 * cin4 * cout8),
    du: alloc(16 * cin4 * cout8),
    scratch: alloc(36 * Math.max(tbF, tbG) * (cin4 + cout8)),
  };
  if (top > 4096 * 65536) throw new Error('relaxed.mjs: shape too large for the 256 MB memory');
  const x = Float32Array.from({ length: nx }, () => Math.max(0, rnd() * 2 - 1)); // after a ReLU
  const g = Float32Array.from({ length: ng }, () => (rnd() * 2 - 1) * Math.sqrt(6 / (9 * cin)));
  const dy = Float32Array.from({ length: ny }, () => rnd() * 2 - 1);
  for (const v of variants) {
    const f = new Float32Array(v.memory.buffer);
    f.fill(0, at.zeros / 4, at.zeros / 4 + 4104);
    f.set(x, at.x / 4);
    f.set(g, at.g / 4);
    f.set(dy, at.dy / 4);
  }
  const forward = ({ e }) => {
    e[`filter_f${m}`](at.g, cin, cout, at.u);
    e[`conv_f${m}`](at.x, n, h, w, cin, at.u, cout, at.y, at.scratch, tbF, at.zeros, 0, tiles(m));
  };
  const grad = ({ e }) => {
    e.filter_grad_sum_f2(at.x, at.dy, n, h, w, cin, cout, at.scratch, tbG, at.zeros, at.du, 0, tiles(2));
    e.filter_grad_out_f2(at.du, 1, cin, cout, at.dw);
  };
  const times = [
    [[], []],
    [[], []],
  ];
  const ratios = [[], []];
  for (let r = 0; r <= ROUNDS; r++) {
    const t = variants.map((v) => {
      const a = performance.now();
      forward(v);
      const b = performance.now();
      grad(v);
      return [b - a, performance.now() - b];
    });
    if (r === 0) continue; // warm-up
    for (const k of [0, 1]) {
      ratios[k].push(t[0][k] / t[1][k]);
      times[k][0].push(t[0][k]);
      times[k][1].push(t[1][k]);
    }
  }
  const [rf, rg] = ratios.map(median);
  all.push(rf, rg);
  const ms = (a) => median(a).toFixed(1);
  console.log(
    `| ${n},${h},${w},${cin}→${cout} | F(${m}×${m}) | ${ms(times[0][0])} | ${ms(times[0][1])} | ${rf.toFixed(2)}× | ${ms(times[1][0])} | ${ms(times[1][1])} | ${rg.toFixed(2)}× | ${relDiff(at.y, ny).toExponential(1)}, ${relDiff(at.dw, ng).toExponential(1)} |`,
  );
}
console.log(`median over the layers' forward and filter-gradient ratios: ${median(all).toFixed(2)}×`);
