/**
 * Reading parity fixtures and comparing against them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@tensorflow/tfjs-core';
import { decodeSafetensors } from '../../src/io/safetensors';
import { compareClose } from '../../src/nn/testing';
import type { Activity } from '../../src/util/activity';
import { describeActivity, isTensor } from '../../src/util/activity';

/** `CAPTCHA_NN_PARITY_DIR`, or the checked-in fixtures (generated with --seed 1). */
export const FIXTURE_DIR = process.env.CAPTCHA_NN_PARITY_DIR || fileURLToPath(new URL('../fixtures/parity/', import.meta.url));

/** Relative tolerance: |a − b| ≤ RTOL·max(1, |b|). */
export const RTOL = 1e-4;

/**
 * How far past PyTorch's own float32 error ours may land. The fixture script runs each module case in float32 too
 * and records in `float32_ratio` how many tolerances that lands from its float64 answer. Deep nets with batch norm
 * on small batches amplify rounding, and on some seeds PyTorch in float32 misses RTOL itself.
 */
export const FLOAT32_MARGIN = 4;

/** The tolerance multiplier for a fixture: 1, or FLOAT32_MARGIN times PyTorch's float32 error where that is larger. */
export function toleranceScale(meta: Record<string, string>): number {
  const ratio = Number(meta.float32_ratio ?? 0);
  if (!Number.isFinite(ratio) || ratio < 0) throw new Error(`parity: fixture metadata float32_ratio "${meta.float32_ratio}" is not a ratio`);
  return Math.max(1, FLOAT32_MARGIN * ratio);
}

export interface FixtureInfo {
  name: string;
  path: string;
  kind: string;
}

/** The fixtures in the folder with their kind, read from the headers alone (no tensors made). */
export function listFixtures(dir = FIXTURE_DIR): FixtureInfo[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const bytes = readFileSync(path);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as { __metadata__?: { kind?: string } };
      return { name: f.replace(/\.safetensors$/, ''), path, kind: header.__metadata__?.kind ?? '?' };
    });
}

export function loadFixture(path: string): { T: Record<string, Tensor>; meta: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  return { T: tensors, meta: metadata };
}

/** The tensors under `prefix.` with the prefix removed: `state.0.weight` → `0.weight`. */
export function under(T: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(T)) if (k.startsWith(prefix + '.')) out[k.slice(prefix.length + 1)] = v;
  return out;
}

/** `name` as a tensor, or the table stored as `name.0`, `name.1.0`… */
export function activity(T: Record<string, Tensor>, name: string): Activity {
  if (T[name]) return T[name];
  const entries = Object.entries(under(T, name));
  if (!entries.length) throw new Error(`fixture has no '${name}'`);
  const root: Activity[] = [];
  for (const [k, t] of entries) {
    const path = k.split('.').map(Number);
    let node = root;
    path.slice(0, -1).forEach((i) => {
      node[i] ??= [];
      node = node[i] as Activity[];
    });
    node[path[path.length - 1]] = t;
  }
  return root;
}

/**
 * Collects mismatches instead of stopping at the first, so one failing
 * fixture reports every quantity that is off, with its max error.
 */
export class Checker {
  readonly problems: string[] = [];
  /** The largest |error| / tolerance seen among passing comparisons (1 = at the tolerance). */
  static worst = { ratio: 0, abs: 0, where: '' };
  /** This case's largest |error| in units of the unscaled tolerance RTOL. */
  worstRatio = 0;
  private readonly tolerance: { atol: number; rtol: number };

  /** `scale` widens RTOL for a case whose float32 rounding PyTorch shows to be large (toleranceScale). */
  constructor(readonly scale = 1) {
    this.tolerance = { atol: RTOL * scale, rtol: RTOL * scale };
  }

  tensor(what: string, actual: Tensor | undefined, expected: Tensor): void {
    if (!actual || !isTensor(actual)) {
      this.problems.push(`${what}: expected a tensor [${expected.shape}], got ${actual ? describeActivity(actual) : 'nothing'}`);
      return;
    }
    if (actual.shape.join(',') !== expected.shape.join(',')) {
      this.problems.push(`${what}: shape [${actual.shape}] vs PyTorch's [${expected.shape}]`);
      return;
    }
    const c = compareClose(actual, expected, this.tolerance);
    this.worstRatio = Math.max(this.worstRatio, c.ratio * this.scale);
    if (c.pass && c.ratio > Checker.worst.ratio) Checker.worst = { ratio: c.ratio, abs: c.maxAbs, where: what };
    if (!c.pass)
      this.problems.push(
        `${what}: max |error| ${c.maxAbs.toExponential(3)}; worst at flat index ${c.index}: ours ${c.actual} vs PyTorch ${c.expected} (${c.ratio.toFixed(1)}× the tolerance)`,
      );
  }

  activity(what: string, actual: Activity, expected: Activity): void {
    if (isTensor(expected)) return this.tensor(what, actual as Tensor, expected);
    if (isTensor(actual) || actual.length !== expected.length) {
      this.problems.push(`${what}: ours ${describeActivity(actual)} vs PyTorch's ${describeActivity(expected)}`);
      return;
    }
    expected.forEach((e, i) => this.activity(`${what}[${i}]`, actual[i], e));
  }

  number(what: string, actual: number, expected: number): void {
    if (!compareClose(actual, expected, this.tolerance).pass)
      this.problems.push(`${what}: ours ${actual} vs PyTorch ${expected} (|error| ${Math.abs(actual - expected).toExponential(3)})`);
  }

  /** Same keys in both, and every tensor within tolerance. */
  dict(what: string, actual: Record<string, Tensor>, expected: Record<string, Tensor>): void {
    const a = Object.keys(actual).sort();
    const e = Object.keys(expected).sort();
    const missing = e.filter((k) => !(k in actual));
    const extra = a.filter((k) => !(k in expected));
    if (missing.length || extra.length) this.problems.push(`${what}: keys differ (missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)})`);
    for (const k of e) if (k in actual) this.tensor(`${what} '${k}'`, actual[k], expected[k]);
  }

  /** Throws one error listing every problem found. */
  done(name: string): void {
    const within = this.scale > 1 ? ` (the tolerance here is ${this.scale.toFixed(2)}× RTOL, from PyTorch's own float32 error)` : '';
    if (this.problems.length) throw new Error(`${name} differs from PyTorch${within}:\n  ${this.problems.join('\n  ')}`);
  }
}
