/**
 * Small statistics shared by the report and the bench (pure): median, mean, sample standard
 * deviation, Student's t distribution, a 95 % interval for a mean, Welch's two-sample t-test, the
 * 95 % Welch interval of a difference and the seeds a side a difference would need to be significant.
 *
 * Each function refuses (RangeError) a list too short for what it computes, rather than returning
 * NaN that would travel silently into a table. The t distribution is computed here through the
 * regularized incomplete beta function (Numerical Recipes' continued fraction, about 40 lines):
 * the npm packages that provide it bring either ~230 dependencies or no types.
 */

function need(xs: readonly number[], n: number, what: string): void {
  if (xs.length < n) throw new RangeError(`${what} needs at least ${n} value${n === 1 ? '' : 's'}, got ${xs.length}`);
}

/** The middle value; for an even count, the average of the middle pair. */
export function median(xs: readonly number[]): number {
  need(xs, 1, 'median');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function mean(xs: readonly number[]): number {
  need(xs, 1, 'mean');
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample variance: Σ (x − mean)² / (n − 1). */
export function sampleVariance(xs: readonly number[]): number {
  need(xs, 2, 'a sample variance');
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return ss / (xs.length - 1);
}

/** Sample standard deviation: √(Σ (x − mean)² / (n − 1)). */
export function sampleSd(xs: readonly number[]): number {
  return Math.sqrt(sampleVariance(xs));
}

// ---- Student's t distribution ----

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 significant digits). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x); // reflection
  const z = x - 1;
  let a = c[0];
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a+1)/(a+b+2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const guard = (v: number) => (Math.abs(v) < tiny ? tiny : v);
  let c = 1;
  let d = 1 / guard(1 - ((a + b) * x) / (a + 1));
  let h = d;
  /** One Lentz step with coefficient `coef`; returns the factor it multiplied h by. */
  const step = (coef: number): number => {
    d = 1 / guard(1 + coef * d);
    c = guard(1 + coef / c);
    h *= d * c;
    return d * c;
  };
  for (let m = 1; m <= 300; m++) {
    step((m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))); // d_{2m}
    const last = step((-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))); // d_{2m+1}
    if (Math.abs(last - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  // x^a (1−x)^b / B(a, b), computed in logs.
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b; // symmetry I_x(a,b) = 1 − I_{1−x}(b,a)
}

/** P(T ≤ t) for Student's t with df > 0 degrees of freedom: I_{df/(df+t²)}(df/2, 1/2) is the two-tailed mass beyond |t|. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be positive, got ${df}`);
  if (t === Number.POSITIVE_INFINITY) return 1;
  if (t === Number.NEGATIVE_INFINITY) return 0;
  const tail = incompleteBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t > 0 ? 1 - tail : tail;
}

/** The t with P(T ≤ t) = p (0 < p < 1), by bisection on the CDF to full double precision. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must be in (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---- intervals and tests ----

export interface MeanInterval {
  n: number;
  mean: number;
  sd: number;
  /** t_{0.975, n−1} · sd / √n: the interval is mean ± halfWidth. */
  halfWidth: number;
  lo: number;
  hi: number;
}

/** Mean with its 95 % Student-t interval (two-sided), from at least two values. */
export function tInterval95(xs: readonly number[]): MeanInterval {
  need(xs, 2, 'a t interval');
  const n = xs.length;
  const m = mean(xs);
  const sd = sampleSd(xs);
  const halfWidth = (studentTQuantile(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean: m, sd, halfWidth, lo: m - halfWidth, hi: m + halfWidth };
}

export interface WelchResult {
  /** (mean a − mean b) / √(var a / n_a + var b / n_b) */
  t: number;
  /** Welch–Satterthwaite: (va/na + vb/nb)² / ((va/na)²/(na−1) + (vb/nb)²/(nb−1)) */
  df: number;
  /** Two-sided p-value: P(|T| ≥ |t|). */
  p: number;
}

/** The pieces Welch's test and interval share: the difference of the means, its squared standard error and the Welch–Satterthwaite df. */
function welchParts(
  a: readonly number[],
  b: readonly number[],
  what: string,
): { diff: number; se2: number; df: number } {
  need(a, 2, `${what} (first sample)`);
  need(b, 2, `${what} (second sample)`);
  const qa = sampleVariance(a) / a.length;
  const qb = sampleVariance(b) / b.length;
  const se2 = qa + qb;
  const df =
    se2 === 0 ? a.length + b.length - 2 : (se2 * se2) / ((qa * qa) / (a.length - 1) + (qb * qb) / (b.length - 1));
  return { diff: mean(a) - mean(b), se2, df };
}

/** Welch's two-sample t-test (unequal variances), two-sided; each sample needs at least two values. */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult {
  const { diff, se2, df } = welchParts(a, b, "Welch's t-test");
  if (se2 === 0) {
    // No spread at all: identical means are indistinguishable, different ones certainly differ.
    return { t: diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY, df, p: diff === 0 ? 1 : 0 };
  }
  const t = diff / Math.sqrt(se2);
  return { t, df, p: incompleteBeta(df / (df + t * t), df / 2, 0.5) };
}

export interface DifferenceInterval {
  /** mean a − mean b */
  diff: number;
  /** The 95 % Welch interval for the difference: diff ± t_{0.975, df} · √(var a / n_a + var b / n_b). */
  lo: number;
  hi: number;
}

/** The difference of two means with its 95 % Welch interval (each sample at least two values). */
export function welchInterval(a: readonly number[], b: readonly number[]): DifferenceInterval {
  const { diff, se2, df } = welchParts(a, b, 'a difference interval');
  if (se2 === 0) return { diff, lo: diff, hi: diff };
  const half = studentTQuantile(0.975, df) * Math.sqrt(se2);
  return { diff, lo: diff - half, hi: diff + half };
}

/**
 * The fewest seeds a side (n, the same for both) at which Welch's two-sided test would call the
 * observed difference significant at `alpha`, if the means and standard deviations stayed as they
 * are; null when not within `max` (a difference too small for the seed noise). A statement of the
 * test's power at this difference, not a promise: new seeds move the means.
 */
export function seedsForVerdict(a: readonly number[], b: readonly number[], alpha = 0.05, max = 1000): number | null {
  const d = Math.abs(mean(a) - mean(b));
  const va = sampleVariance(a);
  const vb = sampleVariance(b);
  if (va + vb === 0) return d > 0 ? 2 : null;
  for (let n = 2; n <= max; n++) {
    const t = d / Math.sqrt((va + vb) / n);
    const df = ((n - 1) * (va + vb) ** 2) / (va * va + vb * vb);
    if (incompleteBeta(df / (df + t * t), df / 2, 0.5) < alpha) return n;
  }
  return null;
}
