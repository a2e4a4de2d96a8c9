import seedrandom from 'seedrandom';

/** A seeded uniform generator in [0, 1). All randomness in charlab flows through one of these. */
export type Rng = () => number;

export function makeRng(seed: string | number): Rng {
  const prng = seedrandom(String(seed));
  return () => prng.double();
}

/** A generator's inner state (seedrandom's ARC4: i, j and the 256-byte permutation S), JSON-safe. */
export type RngState = seedrandom.State.Arc4;

/** A generator whose state can be saved and restored (checkpoints): the same draws as makeRng(seed). */
export interface SavableRng {
  next: Rng;
  state(): RngState;
}

/** makeRng(seed)'s generator, or one continuing from a saved state. */
export function makeSavableRng(seed: string | number, restore?: RngState): SavableRng {
  const prng = restore ? seedrandom('', { state: restore }) : seedrandom(String(seed), { state: true });
  return { next: () => prng.double(), state: () => prng.state() };
}

/** Standard normal deviate by Box–Muller (one value per call; simple and deterministic). */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Index drawn from a discrete distribution p (need not be normalised exactly; uses its sum). */
export function sampleIndex(p: ArrayLike<number>, rng: Rng, n = p.length): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += p[i];
  let r = rng() * total;
  for (let i = 0; i < n; i++) {
    r -= p[i];
    if (r < 0) return i;
  }
  // Rounding left r marginally >= 0: return the last index with non-zero mass.
  for (let i = n - 1; i >= 0; i--) if (p[i] > 0) return i;
  return n - 1;
}
