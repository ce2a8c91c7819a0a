import seedrandom from 'seedrandom';

/**
 * The library's random stream, like `torch.manualSeed`: initialisation and
 * dropout draw their tfjs seeds from it, so a fixed seed gives the same
 * weights and masks on every backend.
 */
let rng: seedrandom.prng = seedrandom.alea(String(Date.now()), { state: true });

export function manualSeed(seed: number | string): void {
  rng = seedrandom.alea(String(seed), { state: true });
}

/**
 * Runs `fn`, then puts the stream back where it was: for modules built only
 * to be overwritten at once (a fused copy), so that building them does not
 * shift every later draw.
 */
export function withoutDrawing<T>(fn: () => T): T {
  const saved = rng.state();
  try {
    return fn();
  } finally {
    rng = seedrandom.alea('', { state: saved });
  }
}

/** A fresh integer seed for one tfjs random op. */
export function nextSeed(): number {
  return Math.floor(rng() * 2 ** 31);
}

/** A float in [0, 1) from the library's stream. */
export function random(): number {
  return rng();
}
