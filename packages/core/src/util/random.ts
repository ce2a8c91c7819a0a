import seedrandom from 'seedrandom';

/**
 * The library's random stream, like `torch.manualSeed`: initialisation and
 * dropout draw their tfjs seeds from it, so a fixed seed gives the same
 * weights and masks on every backend.
 */
let rng: seedrandom.prng = seedrandom.alea(String(Date.now()));

export function manualSeed(seed: number | string): void {
  rng = seedrandom.alea(String(seed));
}

/** A fresh integer seed for one tfjs random op. */
export function nextSeed(): number {
  return Math.floor(rng() * 2 ** 31);
}

/** A float in [0, 1) from the library's stream. */
export function random(): number {
  return rng();
}
