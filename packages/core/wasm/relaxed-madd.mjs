// Rewrites a relaxed build's multiply-adds from the relaxed-SIMD proposal's old opcode, which Debian's
// clang 14 emits for __builtin_wasm_fma_f32x4 (f32x4.fma, 0xfd 0xaf 0x01) and no engine accepts, to the
// final f32x4.relaxed_madd (0xfd 0x85 0x02): the same length, operands and a·b + c.
// It rewrites only the instructions llvm-objdump disassembles as f32x4.fma, at their offsets in the code
// section, and fails on any other relaxed instruction, so no immediate or data byte can be touched.
//   node relaxed-madd.mjs FILE.wasm [OBJDUMP]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [file, objdump = process.env.OBJDUMP ?? 'llvm-objdump'] = process.argv.slice(2);
const OLD = [0xfd, 0xaf, 0x01];
const MADD = [0xfd, 0x85, 0x02];
const bytes = readFileSync(file);

function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return { value, at };
  }
}

// The code section's contents start after its id (10) and size; llvm-objdump counts offsets from there.
let code = -1;
for (let at = 8; at < bytes.length; ) {
  const id = bytes[at];
  const size = leb(at + 1);
  if (id === 10) code = size.at;
  at = size.at + size.value;
}
if (code < 0) throw new Error(`relaxed-madd: ${file} has no code section`);

const listing = execFileSync(objdump, ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
let rewritten = 0;
for (const line of listing.split('\n')) {
  const m = /^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(\S+)/.exec(line);
  if (!m) continue;
  const [, offset, hex, name] = m;
  if (name === 'f32x4.fma') {
    const at = code + Number.parseInt(offset, 16);
    if (OLD.some((b, i) => bytes[at + i] !== b) || hex.trim() !== 'fd af 01')
      throw new Error(`relaxed-madd: ${file}: f32x4.fma at code offset 0x${offset} is not encoded as fd af 01`);
    MADD.forEach((b, i) => {
      bytes[at + i] = b;
    });
    rewritten++;
  } else if (/^(f32x4|f64x2|i8x16|i16x8|i32x4)\.(fms|fma|relaxed|laneselect|dot_i8x16)|relaxed/.test(name)) {
    throw new Error(`relaxed-madd: ${file}: ${name} at code offset 0x${offset} has no rewrite; only f32x4.fma does`);
  }
}
if (rewritten === 0) throw new Error(`relaxed-madd: ${file} has no f32x4.fma to rewrite`);
writeFileSync(file, bytes);
console.log(`relaxed-madd: ${file}: ${rewritten} multiply-adds as f32x4.relaxed_madd`);
