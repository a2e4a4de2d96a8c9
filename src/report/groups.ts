/**
 * Seeds grouped (pure): runs that differ only in their seed form one configuration. Each
 * configuration gets the mean, standard deviation and 95 % Student-t interval of its finished runs'
 * held-out bpc, and is compared with the best configuration (lowest mean) by Welch's two-sided
 * t-test at 5 %: p ≥ 0.05 means "statistically indistinguishable from the best" (each comparison on
 * its own, not corrected for multiple comparisons). A configuration (or a best) with one finished
 * run cannot be tested.
 *
 * The core (rankGroups) only sees keys and scores, so the sweep's terminal table uses it too.
 */
import { mean, sampleSd, tInterval95, welchTTest } from '../util/stats.js';

export const ALPHA = 0.05;
export const TEST_STATEMENT =
  "Configurations marked ≈ best are statistically indistinguishable from the best: Welch's two-sided t-test on held-out bpc " +
  `across seeds, p ≥ ${ALPHA} (each against the best, not corrected for multiple comparisons).`;
export const SINGLE_SEED_STATEMENT = 'Each configuration ran with one seed, so no difference between configurations is tested for significance.';

/** best: the lowest mean; tied: indistinguishable from it; worse: significantly worse; untested: too few seeds on either side. */
export type Verdict = 'best' | 'tied' | 'worse' | 'untested';

export interface GroupStats {
  /** Finished runs with a score. */
  n: number;
  mean: number | null;
  /** Sample standard deviation (n ≥ 2). */
  sd: number | null;
  /** The 95 % interval for the mean (n ≥ 2): mean ± halfWidth. */
  halfWidth: number | null;
  lo: number | null;
  hi: number | null;
}

export interface RankedGroup<T> extends GroupStats {
  key: string;
  items: T[];
  scores: number[];
  /** 1-based among groups with a score; null for the rest. */
  rank: number | null;
  verdict: Verdict | null;
  /** Welch's p against the best (null when not tested, and for the best itself). */
  p: number | null;
}

export function groupStats(scores: readonly number[]): GroupStats {
  if (scores.length === 0) return { n: 0, mean: null, sd: null, halfWidth: null, lo: null, hi: null };
  if (scores.length === 1) return { n: 1, mean: scores[0], sd: null, halfWidth: null, lo: null, hi: null };
  const ci = tInterval95(scores);
  return { n: ci.n, mean: ci.mean, sd: sampleSd(scores), halfWidth: ci.halfWidth, lo: ci.lo, hi: ci.hi };
}

/**
 * Group `items` by `key` (first appearance order kept within a group), rank the groups by mean
 * score (ties broken by `tie`, then key), and give each its verdict against the best.
 */
export function rankGroups<T>(items: readonly T[], key: (t: T) => string, score: (t: T) => number | null, tie: (a: T, b: T) => number = () => 0): Array<RankedGroup<T>> {
  const byKey = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = byKey.get(k);
    if (list) list.push(it);
    else byKey.set(k, [it]);
  }
  const groups = [...byKey].map(([k, its]): RankedGroup<T> => {
    const scores = its.map(score).filter((s): s is number => s !== null && Number.isFinite(s));
    return { key: k, items: its, scores, ...groupStats(scores), rank: null, verdict: null, p: null };
  });
  const cmp = (a: RankedGroup<T>, b: RankedGroup<T>) => tie(a.items[0], b.items[0]) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const ranked = groups.filter((g) => g.n > 0).sort((a, b) => (a.mean as number) - (b.mean as number) || cmp(a, b));
  const rest = groups.filter((g) => g.n === 0).sort(cmp);
  ranked.forEach((g, i) => (g.rank = i + 1));
  judge(ranked);
  return [...ranked, ...rest];
}

function judge<T>(ranked: Array<RankedGroup<T>>): void {
  const best = ranked[0];
  if (!best) return;
  best.verdict = 'best';
  for (const g of ranked.slice(1)) {
    if (best.n < 2 || g.n < 2) {
      g.verdict = 'untested';
      continue;
    }
    g.p = welchTTest(g.scores, best.scores).p;
    g.verdict = g.p >= ALPHA ? 'tied' : 'worse';
  }
}

/** Whether any configuration ran with more than one seed (then tables show configurations, not runs). */
export function multiSeed<T>(groups: ReadonlyArray<RankedGroup<T>>): boolean {
  return groups.some((g) => g.items.length > 1);
}

/** The verdict as a table cell: "best", "≈ best (p 0.31)", "worse (p 0.002)", "not tested". */
export function verdictText(g: { verdict: Verdict | null; p: number | null; n: number }): string {
  switch (g.verdict) {
    case 'best':
      return 'best';
    case 'tied':
      return `≈ best (p ${fmtP(g.p as number)})`;
    case 'worse':
      return `worse (p ${fmtP(g.p as number)})`;
    case 'untested':
      return g.n < 2 ? 'not tested (1 seed)' : 'not tested (best has 1 seed)';
    default:
      return '—';
  }
}

export function fmtP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** Mean of the non-null values, null if there are none. */
export function meanOrNull(xs: ReadonlyArray<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : mean(v);
}
