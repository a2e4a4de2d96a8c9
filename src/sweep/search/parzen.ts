/**
 * One knob's Parzen estimator, as Optuna 3.1's univariate _ParzenEstimator builds it with its
 * defaults (consider_prior, prior_weight 1, magic clip on, endpoints off): a mixture with one
 * component per observation plus a prior component.
 *
 * Numeric knob on [low, high] (in log for log-scaled distributions; an integer range is widened by
 * half a step on each side and scored by the mass of its step):
 *   component i   N(μ_i, σ_i²) truncated to [low, high], μ_i the i-th observation
 *   prior         μ = (low + high) / 2, σ = high − low
 *   σ_i           the larger gap to its neighbours among the sorted μ (prior included) and the bounds;
 *                 the first and last take their inner gap; clipped to [(high − low) / min(100, 1 + m), high − low]
 * Categorical knob of k choices:
 *   component i   p_i(c) ∝ 1/(n+1) + [c = c_i]      prior: uniform
 * Weights: 1 per observation (older ones ramp down past 25, Optuna's default_weights) and 1 for the prior, normalised.
 */
import type { Rng } from '../../util/rng.js';
import { logNormalMass, logSumExp, truncatedNormalDraw, truncatedNormalLogPdf } from '../../util/normal.js';

/** A knob as the estimator sees it: a numeric interval (a step for integers) or k categories (their indices). */
export type Dim =
  { kind: 'numeric'; low: number; high: number; step: number | null } | { kind: 'categorical'; size: number };

export interface Parzen {
  dim: Dim;
  /** Mixture weights, the prior's last. */
  weights: number[];
  mus: number[];
  sigmas: number[];
  /** Categorical: each component's probabilities of the k choices. */
  probs: number[][];
}

const PRIOR_WEIGHT = 1;
const FLAT_RECENT = 25;

/** Optuna's default_weights: 1 for each observation, but below the 25 most recent a ramp from 1/n up. */
function observationWeights(n: number): number[] {
  if (n < FLAT_RECENT) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - FLAT_RECENT }, (_, i) =>
    n - FLAT_RECENT === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (n - FLAT_RECENT - 1),
  );
  return [...ramp, ...new Array<number>(FLAT_RECENT).fill(1)];
}

/** The estimator of observations `obs` (knob coordinates, oldest first). */
export function fitParzen(dim: Dim, obs: readonly number[]): Parzen {
  const raw = [...observationWeights(obs.length), PRIOR_WEIGHT];
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  if (dim.kind === 'categorical') {
    const fill = PRIOR_WEIGHT / (obs.length + 1);
    const probs = [...obs, -1].map((c) => {
      const row = Array.from({ length: dim.size }, (_, j) => fill + (j === c ? 1 : 0));
      const s = row.reduce((a, b) => a + b, 0);
      return row.map((p) => p / s);
    });
    return { dim, weights, mus: [], sigmas: [], probs };
  }
  const mus = [...obs, 0.5 * (dim.low + dim.high)];
  return { dim, weights, mus, sigmas: bandwidths(mus, dim.low, dim.high), probs: [] };
}

/** Each component's σ from its neighbours (see the header), the prior's last and equal to the range. */
function bandwidths(mus: readonly number[], low: number, high: number): number[] {
  const m = mus.length;
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b] || a - b);
  const ext = [low, ...order.map((i) => mus[i]), high];
  const sorted = order.map((_, k) => Math.max(ext[k + 1] - ext[k], ext[k + 2] - ext[k + 1]));
  if (ext.length >= 4) {
    sorted[0] = ext[2] - ext[1];
    sorted[m - 1] = ext[m] - ext[m - 1];
  }
  const range = high - low;
  const minSigma = range / Math.min(100, 1 + m);
  const sigmas = new Array<number>(m);
  order.forEach((i, k) => (sigmas[i] = Math.min(range, Math.max(minSigma, sorted[k]))));
  sigmas[m - 1] = range;
  return sigmas;
}

/** One draw from the mixture (a category index, or a coordinate on the step grid of an integer knob). */
export function drawParzen(p: Parzen, rng: Rng): number {
  const i = pickIndex(p.weights, rng());
  if (p.dim.kind === 'categorical') return pickIndex(p.probs[i], rng());
  const { low, high, step } = p.dim;
  const x = truncatedNormalDraw(rng(), p.mus[i], p.sigmas[i], low, high);
  if (step === null) return x;
  const first = low + step / 2; // the lowest allowed value: bounds are widened by half a step
  return Math.min(high - step / 2, Math.max(first, first + Math.round((x - first) / step) * step));
}

/** ln of the mixture's density at x (for a step: the probability of x's step). */
export function logPdfParzen(p: Parzen, x: number): number {
  const dim = p.dim;
  if (dim.kind === 'categorical') return logSumExp(p.weights.map((w, i) => Math.log(w) + Math.log(p.probs[i][x])));
  const terms = p.weights.map((w, i) => {
    const mu = p.mus[i];
    const sigma = p.sigmas[i];
    if (dim.step === null) return Math.log(w) + truncatedNormalLogPdf(x, mu, sigma, dim.low, dim.high);
    const lo = Math.max(x - dim.step / 2, dim.low);
    const hi = Math.min(x + dim.step / 2, dim.high);
    const mass =
      logNormalMass((lo - mu) / sigma, (hi - mu) / sigma) -
      logNormalMass((dim.low - mu) / sigma, (dim.high - mu) / sigma);
    return Math.log(w) + mass;
  });
  return logSumExp(terms);
}

/** The index whose cumulative weight first exceeds u (weights summing to 1). */
function pickIndex(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    if (u < acc) return i;
  }
  return weights.length - 1;
}
