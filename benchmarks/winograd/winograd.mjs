// Loads winograd.wasm (built by packages/core/wasm/build.sh; this copy is the experiment's) on a given memory, with an allocator for that memory.
// Two ways to use it:
//   ownHeap():       a memory of its own; inputs are copied in and results out
//   tfjsHeap(tf):    the wasm backend's own memory and malloc, so tensors are
//                    read and written in place (no copies)
import { readFileSync } from 'node:fs';

const wasmModule = new WebAssembly.Module(readFileSync(new URL('./winograd.wasm', import.meta.url)));
const STACK = 64 * 1024;
const ALIGN = 16;
export const MAX_CIN = 4096;

/** Instantiates the kernels on `memory`, with `malloc(bytes) → byte offset` and `free(offset)`. */
export function loadWinograd(memory, malloc, free) {
  const { exports } = new WebAssembly.Instance(wasmModule, { env: { memory } });
  // The module's shadow stack (a few spilled locals) lives in a block we own.
  const stack = malloc(STACK);
  exports.__stack_pointer.value = stack + STACK;
  // A zero row standing for the padding pixels (the kernel reads up to Cin+3 floats from it).
  const zeros = malloc((MAX_CIN + 8) * 4);
  new Float32Array(memory.buffer, zeros, MAX_CIN + 8).fill(0);
  return {
    memory,
    malloc,
    free,
    f32: () => new Float32Array(memory.buffer),
    /** Transformed filter size in floats: α²·⌈Cout/8⌉·8·⌈Cin/4⌉·4. */
    filterFloats: (m, cin, cout) => (m + 2) ** 2 * (Math.ceil(cout / 8) * 8) * (Math.ceil(cin / 4) * 4),
    /**
     * Tiles per block, a multiple of 6. Each block streams the whole transformed
     * filter once, so blocks must be long (≥ 48 tiles) for wide layers; within
     * that, one V[a] slice (TB × Cin4) stays near 128 KiB so it is reread from L2.
     */
    tileBlock(m, n, h, w, cin) {
      const tiles = n * Math.ceil(h / m) * Math.ceil(w / m);
      const fit = Math.floor((128 * 1024) / (Math.ceil(cin / 4) * 16) / 6) * 6;
      return Math.min(Math.ceil(tiles / 6) * 6, Math.max(48, Math.min(192, fit)));
    },
    filter(m, gPtr, cin, cout, uPtr) {
      (m === 2 ? exports.filter_f2 : exports.filter_f4)(gPtr, cin, cout, uPtr);
    },
    /** y = conv(x, g) given U = filter(g); scratch of scratchFloats() floats. */
    scratchFloats(m, cin, cout, tb) {
      return (m + 2) ** 2 * tb * (Math.ceil(cin / 4) * 4 + Math.ceil(cout / 8) * 8);
    },
    conv(m, xPtr, n, h, w, cin, uPtr, cout, yPtr, scratchPtr, tb) {
      (m === 2 ? exports.conv_f2 : exports.conv_f4)(xPtr, n, h, w, cin, uPtr, cout, yPtr, scratchPtr, tb, zeros);
    },
  };
}

/** A growing bump heap on a memory of its own (reset() frees everything). */
export function ownHeap() {
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536 });
  let top = 1024;
  const malloc = (bytes) => {
    const p = top;
    top = Math.ceil((top + bytes + 16) / ALIGN) * ALIGN;
    const need = top - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    return p;
  };
  const k = loadWinograd(memory, malloc, () => {});
  const base = top;
  k.reset = () => {
    top = base;
  };
  return k;
}

/** The kernels on tfjs-backend-wasm's own heap. */
export function tfjsHeap(tf) {
  const wasm = tf.backend().wasm;
  return loadWinograd(
    wasm.asm.memory,
    (b) => wasm._malloc(b),
    (p) => wasm._free(p),
  );
}
