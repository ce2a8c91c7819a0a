/**
 * Whether our wasm kernels run their relaxed-SIMD build: the GEMMs' multiply-
 * adds as f32x4.relaxed_madd, which V8 fuses on CPUs with FMA (a training
 * step 1.13× faster: docs/results.md, "Relaxed SIMD"). Engines without
 * relaxed SIMD (Node 20's V8 11.3 unless started with
 * --experimental-wasm-relaxed-simd, or `allowRelaxedSimdInNode`) get the
 * plain SIMD build.
 *
 * CAPTCHA_NN_WASM_SIMD in Node: `relaxed` requires it (an error where the
 * engine lacks it), `plain` refuses it, `auto` (default) uses it where it
 * validates.
 */

export type WasmSimd = 'relaxed' | 'plain';
export type WasmSimdChoice = 'auto' | WasmSimd;
const CHOICES: readonly WasmSimdChoice[] = ['auto', 'relaxed', 'plain'];

/** (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd) */
// biome-ignore format: one section a line
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

/** The build chosen for this process, fixed on first use (kernels compile once). */
let chosen: WasmSimd | undefined;

/**
 * For applications, not libraries: in a Node whose V8 has relaxed SIMD only
 * behind --experimental-wasm-relaxed-simd (Node 20: V8 11.3; 11.4 shipped it
 * as it is), turns that flag on, unless CAPTCHA_NN_WASM_SIMD=plain. Call it
 * before the first wasm kernel compiles; the captcha-nn CLI does. Returns
 * whether the engine now has relaxed SIMD.
 */
export function allowRelaxedSimdInNode(): boolean {
  if (envChoice() === 'plain' || WebAssembly.validate(PROBE)) return engineHasRelaxedSimd();
  const v8 = (globalThis.process as { getBuiltinModule?: (id: string) => unknown } | undefined)?.getBuiltinModule?.('node:v8') as
    | { setFlagsFromString(flags: string): void }
    | undefined;
  v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return engineHasRelaxedSimd();
}

/** Whether this engine validates relaxed SIMD's multiply-add. */
export function engineHasRelaxedSimd(): boolean {
  return WebAssembly.validate(PROBE);
}

function envChoice(): WasmSimdChoice {
  const v = typeof process !== 'undefined' ? process.env?.CAPTCHA_NN_WASM_SIMD : undefined;
  if (!v) return 'auto';
  if (!CHOICES.includes(v as WasmSimdChoice)) throw new Error(`captcha-nn: unknown CAPTCHA_NN_WASM_SIMD '${v}' (expected ${CHOICES.join(', ')})`);
  return v as WasmSimdChoice;
}

/** The build our kernels load in this process, chosen on first use (`resolveWasmSimd`). */
export function wasmSimd(): WasmSimd {
  chosen ??= resolveWasmSimd();
  return chosen;
}

/** Relaxed where the engine has it and CAPTCHA_NN_WASM_SIMD allows it; plain otherwise. */
export function resolveWasmSimd(): WasmSimd {
  const choice = envChoice();
  if (choice === 'plain') return 'plain';
  if (engineHasRelaxedSimd()) return 'relaxed';
  if (choice === 'relaxed') throw new Error(`captcha-nn: CAPTCHA_NN_WASM_SIMD=relaxed, but this engine has no WebAssembly relaxed SIMD${nodeHint()}`);
  return 'plain';
}

/** One line for a run's log: which build, and where relaxed SIMD is missing, why and how to get it. */
export function describeWasmSimd(simd: WasmSimd = wasmSimd()): string {
  if (simd === 'relaxed') return 'relaxed SIMD';
  if (envChoice() === 'plain') return 'plain SIMD, as CAPTCHA_NN_WASM_SIMD=plain asks';
  return `plain SIMD: this engine has no relaxed SIMD${nodeHint()}`;
}

function nodeHint(): string {
  const node = typeof process !== 'undefined' ? process.versions?.node : undefined;
  return node ? ` (Node ${node}; Node 22 or later has it, or start node with --experimental-wasm-relaxed-simd)` : '';
}
