/**
 * Checking a state dict against a model before anything is loaded
 * (`Module.loadStateDict`): keys, shapes, dtypes, value types and, when
 * asked, finiteness. Every problem is collected, so one error lists them all,
 * and the model is only touched when there is none.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { isTensor } from '../util/activity';
import { StateDictError } from '../util/errors';

export interface LoadStateDictOptions {
  /** Every key must be present and none extra (default true). Shapes, dtypes and value types are always checked. */
  strict?: boolean;
  /**
   * Reject NaN and ±Infinity in floating-point entries (default false in
   * `loadStateDict`, true in `loadModel`/`decodeModel`).
   */
  checkFinite?: boolean;
}

/** A state-dict entry that is not a usable tensor: null, an array, a number, a disposed tensor… */
export interface BadValue {
  key: string;
  /** What was found instead, e.g. 'null', 'an array', 'a disposed tensor'. */
  got: string;
}

export interface WrongDtype {
  key: string;
  expected: string;
  actual: string;
}

export interface NonFinite {
  key: string;
  nan: number;
  infinite: number;
  /** Flat index of the first bad value. */
  first: number;
}

/**
 * A StateDictError that also reports entries with a bad value, a dtype other
 * than the model's, or non-finite values. `missing`, `unexpected` and
 * `misshapen` are as in StateDictError. The message is one line.
 */
export class StateDictValueError extends StateDictError {
  constructor(
    missing: string[],
    unexpected: string[],
    misshapen: { key: string; expected: number[]; actual: number[] }[],
    readonly badValues: BadValue[],
    readonly wrongDtypes: WrongDtype[],
    readonly nonFinite: NonFinite[],
  ) {
    super(missing, unexpected, misshapen);
    this.name = 'StateDictError';
    this.message = `state dict does not match the model: ${this.describe()}`;
  }

  /** True when the only problems are non-finite values (the keys and shapes fit). */
  get onlyNonFinite(): boolean {
    return (
      this.nonFinite.length > 0 &&
      !this.missing.length &&
      !this.unexpected.length &&
      !this.misshapen.length &&
      !this.badValues.length &&
      !this.wrongDtypes.length
    );
  }

  /**
   * The problems, '; '-separated. `source(key)` may add where an actual dtype
   * came from (e.g. the safetensors dtype) to each wrong-dtype entry.
   */
  describe(source?: (key: string) => string | undefined): string {
    const parts: string[] = [];
    if (this.missing.length) parts.push(`missing keys: ${this.missing.join(', ')}`);
    if (this.unexpected.length) parts.push(`unexpected keys: ${this.unexpected.join(', ')}`);
    if (this.misshapen.length)
      parts.push(`misshapen keys: ${this.misshapen.map((m) => `${m.key} (expected [${m.expected.join(',')}], got [${m.actual.join(',')}])`).join(', ')}`);
    if (this.badValues.length) parts.push(`not tensors: ${this.badValues.map((b) => `${b.key} (${b.got})`).join(', ')}`);
    if (this.wrongDtypes.length)
      parts.push(
        `wrong dtypes: ${this.wrongDtypes
          .map((w) => {
            const from = source?.(w.key);
            return `${w.key} (expected ${w.expected}, got ${w.actual}${from ? `, ${from}` : ''})`;
          })
          .join(', ')}`,
      );
    if (this.nonFinite.length)
      parts.push(
        `non-finite values: ${this.nonFinite
          .map((f) => {
            const counts = [f.nan ? `${f.nan} NaN` : '', f.infinite ? `${f.infinite} infinite` : ''].filter(Boolean).join(', ');
            return `${f.key} (${counts}; first at index ${f.first})`;
          })
          .join(', ')}`,
      );
    return parts.join('; ');
  }
}

/** What a non-tensor value is, in a few words. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return `an object${v.constructor && v.constructor !== Object ? ` (${v.constructor.name})` : ''}`;
  return `a ${typeof v}`;
}

/** Counts NaN and ±Infinity in a float tensor (reads its values). */
export function countNonFinite(t: Tensor): { nan: number; infinite: number; first: number } {
  let nan = 0;
  let infinite = 0;
  let first = -1;
  if (t.dtype !== 'float32') return { nan, infinite, first };
  const v = t.dataSync() as Float32Array;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x - x !== 0) {
      if (Number.isNaN(x)) nan++;
      else infinite++;
      if (first < 0) first = i;
    }
  }
  return { nan, infinite, first };
}

/**
 * Checks `dict` against `expected` (the model's own state dict: keys, shapes
 * and dtypes) and throws a StateDictValueError listing every problem, or
 * returns when the dict can be loaded.
 */
export function checkStateDict(dict: unknown, expected: Record<string, Tensor>, { strict = true, checkFinite = false }: LoadStateDictOptions = {}): void {
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict) || isTensor(dict))
    throw new TypeError(`loadStateDict: expected an object of tensors keyed by name, got ${isTensor(dict) ? 'a tensor' : describeValue(dict)}`);
  const d = dict as Record<string, unknown>;
  const has = (k: string) => Object.hasOwn(d, k);
  const missing = strict ? Object.keys(expected).filter((k) => !has(k)) : [];
  const unexpected = strict ? Object.keys(d).filter((k) => !Object.hasOwn(expected, k)) : [];
  const misshapen: { key: string; expected: number[]; actual: number[] }[] = [];
  const badValues: BadValue[] = [];
  const wrongDtypes: WrongDtype[] = [];
  const nonFinite: NonFinite[] = [];
  for (const [key, ours] of Object.entries(expected)) {
    if (!has(key)) continue;
    const v = d[key];
    if (!isTensor(v)) {
      badValues.push({ key, got: describeValue(v) });
      continue;
    }
    if (v.isDisposed) {
      badValues.push({ key, got: 'a disposed tensor' });
      continue;
    }
    if (!sameShape(v.shape, ours.shape)) misshapen.push({ key, expected: ours.shape, actual: v.shape });
    if (v.dtype !== ours.dtype) wrongDtypes.push({ key, expected: ours.dtype, actual: v.dtype });
    else if (checkFinite) {
      const c = countNonFinite(v);
      if (c.nan || c.infinite) nonFinite.push({ key, ...c });
    }
  }
  if (missing.length || unexpected.length || misshapen.length || badValues.length || wrongDtypes.length || nonFinite.length)
    throw new StateDictValueError(missing, unexpected, misshapen, badValues, wrongDtypes, nonFinite);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
