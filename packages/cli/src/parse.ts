/** Option parsers: they throw commander's InvalidArgumentError with a message saying what was expected. */
import { InvalidArgumentError } from 'commander';
import { MAX_WASM_THREADS } from '@captcha-nn/core';
import { parseLength as dataParseLength, parseSize as dataParseSize, type LabelSource, type LengthSpec } from '@captcha-nn/data';
export { parseFontList, FONTS_DEFAULT_HELP } from '@captcha-nn/data';
import type { DecodeOptions, TextLength } from '@captcha-nn/train';

export function parsePositiveInt(v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1) throw new InvalidArgumentError(`expected a positive integer, got '${v}'.`);
  return Number(v);
}

/** wasm threads: 1 to MAX_WASM_THREADS (tfjs's pool). */
export function parseThreads(v: string): number {
  const n = parsePositiveInt(v);
  if (n > MAX_WASM_THREADS)
    throw new InvalidArgumentError(`expected 1 to ${MAX_WASM_THREADS} threads (tfjs's wasm pool holds at most ${MAX_WASM_THREADS}), got '${v}'.`);
  return n;
}

export function parseNonNegativeInt(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`expected an integer >= 0, got '${v}'.`);
  return Number(v);
}

export function parsePositiveNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got '${v}'.`);
  return n;
}

export function parseNonNegativeNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got '${v}'.`);
  return n;
}

/** A probability 0 <= p <= 1. */
export function parseProbability(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a probability in [0, 1], e.g. 0.5, got '${v}'.`);
  return n;
}

/** A fraction 0 <= f < 1 (0: no validation). */
export function parseFraction(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`expected a fraction in [0, 1), e.g. 0.1, got '${v}'.`);
  return n;
}

export function parseLength(v: string): LengthSpec {
  return dataParseLength(v);
}

export function parseSize(v: string): { width: number; height: number } {
  return dataParseSize(v);
}

/** `--text-length 5 | 4-6 | any` as a decoder's { min, max }, or 'any'. */
export function parseTextLength(v: string): TextLength | 'any' {
  if (v === 'any') return 'any';
  const l = dataParseLength(v);
  return typeof l === 'number' ? { min: l, max: l } : { min: l[0], max: l[1] };
}

/** How `eval` and `predict` decode: `--beam` and `--text-length`, or undefined for the model's default. */
export function decodeOptionsOf(o: { beam?: number; textLength?: TextLength | 'any' }): DecodeOptions | undefined {
  if (o.beam === undefined && o.textLength === undefined) return undefined;
  return { ...(o.beam !== undefined ? { beam: o.beam } : {}), ...(o.textLength ? { length: o.textLength } : {}) };
}

export const TEXT_LENGTH_HELP =
  "CTC models: read only texts of n (or min to max) characters (a beam search; --beam or 10). Default: the lengths of the labels the model was trained on, where its model.json records them; 'any': any length (greedily, or --beam's search)";

export const TTA_HELP =
  "test-time augmentation: 'flip' averages each image's class probabilities with its mirror image's (classifiers trained with --flip); 'shift' averages a model's probabilities for the image and for it moved up and down by 1/32 of its height (any model but seq2seq; for captchas)";

/** `--labels filename | FILE.txt (line i labels <i>.png) | FILE.csv (file,label)`. */
export function parseLabels(v: string): LabelSource {
  if (v === 'filename') return 'filename';
  if (/\.csv$/i.test(v)) return { file: v, format: 'csv' };
  return { file: v };
}
