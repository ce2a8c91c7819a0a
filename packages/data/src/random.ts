import seedrandom from 'seedrandom';

/** A seeded source of floats in [0, 1). Every random draw in this package comes from one. */
export type Rng = () => number;

/**
 * A fresh seeded PRNG (seedrandom's Alea: fast, good statistics) for the key
 * `parts.join(':')`. Generators derive one per image from (seed, index), so
 * image i is the same whatever was generated before it.
 */
export function createRng(...parts: Array<string | number>): Rng {
  return seedrandom.alea(parts.join(':'));
}

/** Uniform integer in [lo, hi], both inclusive. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** Uniform float in [lo, hi). */
export function randFloat(rng: Rng, lo: number, hi: number): number {
  return lo + rng() * (hi - lo);
}

/** A uniformly chosen element. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

/** Fisher–Yates shuffle of 0..n-1, in place on a fresh Int32Array. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * Runs `fn` with `Math.random` replaced by `rng`, restoring it afterwards even
 * if `fn` throws. Only for synchronous third-party code that draws from
 * Math.random (svg-captcha): nothing else can run while `fn` runs, so no
 * other caller sees the swapped function.
 */
export function withMathRandom<T>(rng: Rng, fn: () => T): T {
  const original = Math.random;
  Math.random = rng;
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}
