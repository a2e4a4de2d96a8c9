/**
 * The normal distribution as the TPE sampler needs it (src/sweep/search/parzen.ts): its tail
 * masses in log space, its quantile, and a Gaussian truncated to [low, high]. Plain numerics, like
 * Optuna's own _erf.py and _truncnorm.py (which spare it scipy); accurate to ~1e-7 relative, far
 * below what a density ratio between two kernel mixtures can tell apart.
 *
 *   Φ(z) = erfc(−z/√2) / 2,   mass of [z1, z2] = Φ(z2) − Φ(z1)
 */

const SQRT1_2 = Math.SQRT1_2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln erfc(x) for x ≥ 0, from the Chebyshev fit of Numerical Recipes' erfcc (fractional error of
 * erfc below 1.2e-7 everywhere): erfc(x) = t · exp(−x² − 1.26551223 + t·P(t)), t = 1 / (1 + x/2).
 * In log form it never underflows, so far tails keep their relative accuracy.
 */
function logErfcNonNeg(x: number): number {
  const t = 1 / (1 + 0.5 * x);
  const p =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return Math.log(t) - x * x + p;
}

/** erfc(x) for any x (erfc(−x) = 2 − erfc(x)). */
export function erfc(x: number): number {
  return x >= 0 ? Math.exp(logErfcNonNeg(x)) : 2 - Math.exp(logErfcNonNeg(-x));
}

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z * SQRT1_2);
}

/** ln Φ(z), accurate in the lower tail (z ≪ 0) where Φ itself underflows. */
export function logNormalCdf(z: number): number {
  return z < 0 ? logErfcNonNeg(-z * SQRT1_2) - Math.LN2 : Math.log1p(-0.5 * erfc(z * SQRT1_2));
}

/** ln(Φ(z2) − Φ(z1)) for z1 < z2, computed on the side of the smaller tail (no cancellation between two numbers near 1). */
export function logNormalMass(z1: number, z2: number): number {
  if (z1 > 0) return logNormalMass(-z2, -z1); // symmetry: the mass of [z1, z2] is that of [−z2, −z1]
  if (z2 <= 0) {
    const hi = logNormalCdf(z2);
    return hi + Math.log1p(-Math.exp(logNormalCdf(z1) - hi));
  }
  // z1 ≤ 0 < z2: the mass is at least Φ(0) − Φ(z1) or Φ(z2) − Φ(0), no tail problem.
  return Math.log(1 - normalCdf(z1) - normalCdf(-z2));
}

/** ln φ(z), the standard normal density. */
export const logNormalPdf = (z: number): number => -0.5 * z * z - LOG_SQRT_2PI;

/**
 * Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation (relative error below 1.2e-9), refined by
 * one Halley step on Φ.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? -Infinity : Infinity;
  const plow = 0.02425;
  let x: number;
  if (p < plow || p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(p < plow ? p : 1 - p));
    x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    if (p > 1 - plow) x = -x;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** A draw from N(mu, sigma²) truncated to [low, high], by the inverse CDF of the uniform draw u in [0, 1). */
export function truncatedNormalDraw(u: number, mu: number, sigma: number, low: number, high: number): number {
  const a = (low - mu) / sigma;
  const b = (high - mu) / sigma;
  // Sample on the side where the interval's CDF values are not both near 1.
  const flip = a > 0;
  const [lo, hi] = flip ? [-b, -a] : [a, b];
  const pa = normalCdf(lo);
  const pb = normalCdf(hi);
  const z = normalQuantile(pa + u * (pb - pa));
  const x = mu + sigma * (flip ? -z : z);
  return Math.min(high, Math.max(low, x));
}

/** ln of the density at x of N(mu, sigma²) truncated to [low, high] (x inside it). */
export function truncatedNormalLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  return logNormalPdf((x - mu) / sigma) - Math.log(sigma) - logNormalMass((low - mu) / sigma, (high - mu) / sigma);
}

/** ln Σ exp(x_i), stable; −Infinity for an empty list or all −Infinity. */
export function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - max);
  return max + Math.log(s);
}
