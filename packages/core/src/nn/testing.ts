import type { Tensor } from '@tensorflow/tfjs-core';
import { assert, expect } from 'vitest';
import { tf } from '../tf';
import type { Activity } from '../util/activity';
import type { Module } from './Module';

/**
 * Test helper (not exported by the package): Torch training steps of
 * `module` (forward, zeroGradParameters, backward, updateParameters) on
 * `input` and `gradOutput` keep `tf.memory().numTensors` flat after the
 * first. Returns that count, for checks that follow.
 */
export function expectFlatSteps(module: Module, input: Activity, gradOutput: Activity, steps = 5): number {
  const step = () => {
    module.forward(input);
    module.zeroGradParameters();
    module.backward(input, gradOutput);
    module.updateParameters(0.01);
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) step();
  expect(tf.memory().numTensors).toBe(before);
  return before;
}

/** `expectFlatSteps` on a random input and gradOutput of `shape`; disposes the module and both. */
export function expectFlatMemory(module: Module, shape: number[] = [4, 5]): void {
  const x = tf.randomNormal(shape);
  const dy = tf.randomNormal(shape);
  expectFlatSteps(module, x, dy, 10);
  module.dispose();
  x.dispose();
  dy.dispose();
}

/** Numbers to compare: a tensor, a number, a typed array, a (nested) number array, or a table (array) of these. */
export type Numbers = Tensor | number | TypedArray | readonly Numbers[];
type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Elementwise tolerance: |actual − expected| ≤ max(atol, rtol·|expected|).
 * `{ atol: t }` is an absolute bound; `{ atol: t, rtol: t }` is the parity
 * fixtures' t·max(1, |expected|); `{ atol: 0 }` asks for equality.
 */
export type Tolerance = { atol: number; rtol?: number } | { atol?: number; rtol: number };

/** What `compareClose` found: `ratio` is the worst |diff| / tolerance (1 = at the tolerance). */
export interface Closeness {
  pass: boolean;
  /** Largest |actual − expected| (NaN if either side has a NaN). */
  maxAbs: number;
  ratio: number;
  /** The worst element: path in the table, flat index, its values. */
  where: string;
  index: number;
  actual: number;
  expected: number;
  /** False when the structures differ (shapes, lengths, table vs tensor). */
  shapesMatch: boolean;
  /** Empty when `pass`; otherwise every problem, one a line. */
  message: string;
}

interface Leaf {
  values: ArrayLike<number>;
  /** The tensor's or nested array's shape; null for flat arrays (compared by length) and numbers (broadcast). */
  shape: number[] | null;
  scalar: boolean;
}

/** A tensor, number, typed array or nested number array; the rest are tables. */
function isLeaf(x: Numbers): boolean {
  if (typeof x === 'number' || ArrayBuffer.isView(x) || x instanceof tf.Tensor) return true;
  const numeric = (a: readonly Numbers[]): boolean => a.every((v) => typeof v === 'number' || (Array.isArray(v) && numeric(v)));
  return numeric(x as readonly Numbers[]);
}

function leaf(x: Numbers, where: string): Leaf {
  if (x instanceof tf.Tensor) return { values: x.dataSync() as ArrayLike<number>, shape: x.shape, scalar: false };
  if (typeof x === 'number') return { values: [x], shape: null, scalar: true };
  if (ArrayBuffer.isView(x)) return { values: x as TypedArray, shape: null, scalar: false };
  const shape: number[] = [];
  for (let a: Numbers = x; Array.isArray(a); a = (a as Numbers[])[0]) shape.push((a as Numbers[]).length);
  const flat = (x as number[]).flat(Infinity) as number[];
  if (flat.length !== shape.reduce((p, n) => p * n, 1)) throw new Error(`${where || 'value'}: ragged array`);
  return { values: flat, shape: shape.length > 1 ? shape : null, scalar: false };
}

const fmt = (v: number) => String(Number(v.toPrecision(8)));

function multiIndex(flat: number, shape: number[] | null): string {
  if (!shape || shape.length < 2) return `[${flat}]`;
  const idx: number[] = [];
  for (let k = shape.length - 1, r = flat; k >= 0; k--) {
    idx.unshift(r % shape[k]);
    r = Math.floor(r / shape[k]);
  }
  return `[${idx.join(',')}] (flat ${flat})`;
}

/**
 * Compares `actual` with `expected` elementwise without asserting (see
 * `expectClose`). Shapes must agree where both sides have one (tensors,
 * nested arrays); a flat array need only have the same length; a number is
 * compared with every element. Tables compare element by element.
 */
export function compareClose(actual: Numbers, expected: Numbers, tol: Tolerance): Closeness {
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  const out: Closeness = { pass: true, maxAbs: 0, ratio: 0, where: '', index: -1, actual: NaN, expected: NaN, shapesMatch: true, message: '' };
  const problems: string[] = [];
  const visit = (a: Numbers, e: Numbers, where: string) => {
    if (!isLeaf(a) || !isLeaf(e)) {
      if (!Array.isArray(a) || !Array.isArray(e) || a.length !== e.length) {
        const what = (x: Numbers) => (x instanceof tf.Tensor ? `a tensor [${x.shape}]` : Array.isArray(x) ? `a table of ${x.length}` : 'numbers');
        problems.push(`${where || 'value'}: ${what(a)} vs ${what(e)} expected`);
        out.shapesMatch = false;
        return;
      }
      a.forEach((x, i) => visit(x, e[i] as Numbers, `${where}[${i}]`));
      return;
    }
    const A = leaf(a, where);
    const E = leaf(e, where);
    const n = A.scalar ? E.values.length : A.values.length;
    const sizeOk = A.scalar || E.scalar || A.values.length === E.values.length;
    if (!sizeOk || (A.shape && E.shape && A.shape.join(',') !== E.shape.join(','))) {
      const s = (L: Leaf) => (L.shape ? `shape [${L.shape}]` : `${L.values.length} values`);
      problems.push(`${where || 'value'}: ${s(A)} vs ${s(E)} expected`);
      out.shapesMatch = false;
      return;
    }
    let bad = 0;
    let worst = -1;
    let worstRatio = 0;
    for (let i = 0; i < n; i++) {
      const x = Number(A.values[A.scalar ? 0 : i]);
      const y = Number(E.values[E.scalar ? 0 : i]);
      const d = x === y ? 0 : Math.abs(x - y);
      const bound = rtol ? Math.max(atol, rtol * Math.abs(y)) : atol;
      // NaN anywhere is worse than any finite miss; equal values pass at any tolerance.
      const r = Number.isNaN(d) ? Infinity : d === 0 ? 0 : d / bound;
      if (!Number.isNaN(out.maxAbs) && !(d <= out.maxAbs)) out.maxAbs = d;
      if (!(d === 0 || d <= bound)) bad++;
      if (worst < 0 || r > worstRatio) {
        worst = i;
        worstRatio = r;
      }
    }
    if (worst >= 0 && (out.index < 0 || worstRatio > out.ratio)) {
      Object.assign(out, {
        ratio: worstRatio,
        where,
        index: worst,
        actual: Number(A.values[A.scalar ? 0 : worst]),
        expected: Number(E.values[E.scalar ? 0 : worst]),
      });
    }
    if (bad) {
      const x = Number(A.values[A.scalar ? 0 : worst]);
      const y = Number(E.values[E.scalar ? 0 : worst]);
      problems.push(
        `${where ? where + ': ' : ''}${bad} of ${n} elements off; worst at ${multiIndex(worst, A.shape ?? E.shape)}: ` +
          `actual ${fmt(x)}, expected ${fmt(y)}, |diff| ${Math.abs(x - y).toExponential(3)}` +
          (Number.isFinite(worstRatio) ? ` (${worstRatio.toPrecision(3)}× the tolerance)` : ''),
      );
    }
  };
  visit(actual, expected, '');
  out.pass = problems.length === 0;
  out.message = problems.join('\n');
  return out;
}

/**
 * Asserts |actual − expected| ≤ max(atol, rtol·|expected|) elementwise (see
 * `compareClose` for shapes). The failure names the worst element with both
 * values. `what` prefixes the message.
 */
export function expectClose(actual: Numbers, expected: Numbers, tol: Tolerance & { what?: string }): void {
  const c = compareClose(actual, expected, tol);
  if (c.pass) return;
  const t = [`atol ${tol.atol ?? 0}`, tol.rtol ? `rtol ${tol.rtol}` : ''].filter(Boolean).join(', ');
  assert.fail(`${tol.what ? tol.what + ': ' : ''}not close (${t}):\n${c.message}`);
}

/** Largest |actual − expected| elementwise (NaN if either has a NaN); throws if the shapes disagree. */
export function maxAbsDiff(actual: Numbers, expected: Numbers): number {
  const c = compareClose(actual, expected, { atol: Infinity });
  if (!c.shapesMatch) throw new Error(c.message);
  return c.maxAbs;
}
