/**
 * Functional ANOVA over a random forest (Hutter, Hoos and Leyton-Brown 2014), the importance
 * Optuna's FanovaImportanceEvaluator and W&B show: how much of the variance of a fitted response
 * surface each input explains by itself.
 *
 * Forest: `trees` regression trees (CART: each split the one of all inputs and thresholds, the
 * midpoints between sorted distinct values, that most reduces the squared error; grown until a
 * leaf holds one distinct input or one response), each on a bootstrap sample of the points, as
 * scikit-learn's RandomForestRegressor with Optuna's settings (64 trees, every input at each split).
 *
 * One tree's leaves tile the box B = Π_j [lo_j, hi_j] (uniform measure). With leaf l's value v_l
 * and share of the volume f_l:
 *   mean       μ = Σ_l f_l v_l,   variance   V = Σ_l f_l v_l² − μ²
 *   marginal   a_j(x) = Σ_{l ∋ x on axis j} v_l · f_l / w_lj,   w_lj = leaf l's share of axis j
 *   main effect of input j   V_j = E_x[a_j(x)²] − μ²  (x uniform on [lo_j, hi_j])
 * Importance of j = V_j / V, averaged over the trees whose V > 0. What the main effects leave of V
 * is in interactions. Deterministic for a seed.
 */
import { makeRng, type Rng } from './rng.js';

type Tree = { value: number } | { input: number; threshold: number; left: Tree; right: Tree };

export interface FanovaOptions {
  trees: number;
  seed: string;
}

/**
 * One tree on the points `byInput[j]` (indices into x and y, repeats allowed, sorted by input j):
 * the orders are sorted once and split stably, so no node sorts again.
 */
function grow(x: readonly number[][], y: readonly number[], byInput: number[][]): Tree {
  const idx = byInput[0];
  const mean = idx.reduce((s, i) => s + y[i], 0) / idx.length;
  if (idx.length < 2 || idx.every((i) => y[i] === y[idx[0]])) return { value: mean };
  const split = bestSplit(x, y, byInput);
  if (!split) return { value: mean };
  const goesLeft = (i: number) => x[i][split.input] <= split.threshold;
  const left = byInput.map((order) => order.filter(goesLeft));
  const right = byInput.map((order) => order.filter((i) => !goesLeft(i)));
  return { input: split.input, threshold: split.threshold, left: grow(x, y, left), right: grow(x, y, right) };
}

/** The split of least squared error (sum of each side's Σ(y − ȳ)²), first input and threshold on ties. */
function bestSplit(
  x: readonly number[][],
  y: readonly number[],
  byInput: number[][],
): { input: number; threshold: number } | null {
  let best: { input: number; threshold: number; sse: number } | null = null;
  const order0 = byInput[0];
  const total = order0.reduce((s, i) => s + y[i], 0);
  const total2 = order0.reduce((s, i) => s + y[i] * y[i], 0);
  byInput.forEach((order, j) => {
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < order.length - 1; k++) {
      s += y[order[k]];
      s2 += y[order[k]] ** 2;
      const [a, b] = [x[order[k]][j], x[order[k + 1]][j]];
      if (a === b) continue;
      const nl = k + 1;
      const nr = order.length - nl;
      const sse = s2 - (s * s) / nl + (total2 - s2) - ((total - s) * (total - s)) / nr;
      if (!best || sse < best.sse - 1e-12) best = { input: j, threshold: (a + b) / 2, sse };
    }
  });
  return best;
}

/** Each leaf's value and box, the box starting as `bounds`. */
function leaves(
  t: Tree,
  bounds: Array<[number, number]>,
  out: Array<{ value: number; box: Array<[number, number]> }> = [],
) {
  if ('value' in t) {
    out.push({ value: t.value, box: bounds });
    return out;
  }
  const [lo, hi] = bounds[t.input];
  const left = bounds.map((b, j) => (j === t.input ? ([lo, Math.min(hi, t.threshold)] as [number, number]) : b));
  const right = bounds.map((b, j) => (j === t.input ? ([Math.max(lo, t.threshold), hi] as [number, number]) : b));
  leaves(t.left, left, out);
  leaves(t.right, right, out);
  return out;
}

/** Each input's share V_j / V of one tree's variance over `bounds` (null when the tree is constant there). */
export function treeMainEffects(t: Tree, bounds: Array<[number, number]>): number[] | null {
  const share = (box: Array<[number, number]>, j: number) => (box[j][1] - box[j][0]) / (bounds[j][1] - bounds[j][0]);
  const ls = leaves(t, bounds).map((l) => ({ ...l, f: l.box.reduce((p, _, j) => p * share(l.box, j), 1) }));
  const mu = ls.reduce((s, l) => s + l.f * l.value, 0);
  const v = ls.reduce((s, l) => s + l.f * l.value * l.value, 0) - mu * mu;
  if (!(v > 1e-15)) return null;
  return bounds.map(([lo, hi], j) => {
    // a_j is a sum of steps, one per leaf over its interval on axis j: added at its start, taken off at its end.
    const cuts = [...new Set([lo, hi, ...ls.flatMap((l) => l.box[j])])].sort((a, b) => a - b);
    const at = new Map(cuts.map((c, k) => [c, k]));
    const step = new Float64Array(cuts.length);
    for (const l of ls) {
      const c = (l.value * l.f) / share(l.box, j);
      step[at.get(l.box[j][0])!] += c;
      step[at.get(l.box[j][1])!] -= c;
    }
    let a = 0;
    let second = 0;
    for (let k = 0; k < cuts.length - 1; k++) {
      a += step[k];
      second += ((cuts[k + 1] - cuts[k]) / (hi - lo)) * a * a;
    }
    return Math.max(0, second - mu * mu) / v;
  });
}

/** A bootstrap sample of n indices. */
const bootstrap = (n: number, rng: Rng) => Array.from({ length: n }, () => Math.min(n - 1, Math.floor(rng() * n)));

/**
 * The forest's main-effect importance of each input: the mean over its trees of V_j / V. `x` rows
 * are points (one coordinate per input), `y` the responses, `bounds` each input's range.
 */
export function fanova(
  x: readonly number[][],
  y: readonly number[],
  bounds: Array<[number, number]>,
  opts: FanovaOptions,
): number[] {
  const rng = makeRng(opts.seed);
  const sums = bounds.map(() => 0);
  let counted = 0;
  for (let t = 0; t < opts.trees; t++) {
    const sample = bootstrap(x.length, rng);
    const byInput = bounds.map((_, j) => [...sample].sort((a, b) => x[a][j] - x[b][j] || a - b));
    const effects = treeMainEffects(grow(x, y, byInput), bounds);
    if (!effects) continue;
    effects.forEach((e, j) => (sums[j] += e));
    counted++;
  }
  return sums.map((s) => (counted > 0 ? s / counted : 0));
}
