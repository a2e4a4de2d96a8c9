/**
 * Seeds grouped (pure): runs that differ only in their seed form one configuration. Each
 * configuration gets the mean, standard deviation and 95 % Student-t interval of its finished runs'
 * held-out bpc, and is compared with the best configuration (lowest mean) by Welch's two-sided
 * t-test at 5 % (each comparison on its own, not corrected for multiple comparisons): p < 0.05 is
 * "worse"; otherwise the difference is not resolved at this number of seeds, which is not evidence
 * that the two are equal — the difference, its 95 % interval and the seeds a side at which a
 * difference of that size would be significant say how little the test could tell. A configuration
 * (or a best) with one finished run cannot be tested.
 *
 * Only comparable runs are ranked and tested against each other: runs trained on the same number
 * of characters (a section; successive halving stops configurations at several budgets, and a score
 * at 100k characters is no rival for one at 2.7M). Callers give each item's section (its budget).
 *
 * The core (rankGroups) only sees keys, scores and sections, so the sweep's terminal table uses it too.
 */
import { mean, sampleSd, seedsForVerdict, tInterval95, welchInterval, welchTTest } from '../util/stats.js';

export const ALPHA = 0.05;
export const TEST_STATEMENT =
  "vs best: Welch's two-sided t-test on held-out bpc across seeds against the best configuration (each on its own, not corrected for " +
  `multiple comparisons). worse: p < ${ALPHA}. not resolved: no significant difference at this number of seeds — not evidence that ` +
  'the two are equal; Δ best gives the difference with its 95 % interval and the seeds a side at which a difference that large would be significant.';
export const SINGLE_SEED_STATEMENT =
  'Each configuration ran with one seed, so no difference between configurations is tested for significance.';

/** best: the lowest mean; unresolved: not significantly different at these seeds; worse: significantly worse; untested: too few seeds on either side. */
export type Verdict = 'best' | 'unresolved' | 'worse' | 'untested';

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
  /** The section (training characters) whose groups it is ranked and tested among; null: unknown. */
  section: number | null;
  /** 1-based among the groups of its section with a score; null for the rest. */
  rank: number | null;
  verdict: Verdict | null;
  /** Welch's p against the best of its section (null when not tested, and for the best itself). */
  p: number | null;
  /** mean − the best's mean with its 95 % Welch interval, and the seeds a side a verdict on it would need (null: not tested, or > 1000). */
  diff: number | null;
  diffLo: number | null;
  diffHi: number | null;
  seedsNeeded: number | null;
}

export function groupStats(scores: readonly number[]): GroupStats {
  if (scores.length === 0) return { n: 0, mean: null, sd: null, halfWidth: null, lo: null, hi: null };
  if (scores.length === 1) return { n: 1, mean: scores[0], sd: null, halfWidth: null, lo: null, hi: null };
  const ci = tInterval95(scores);
  return { n: ci.n, mean: ci.mean, sd: sampleSd(scores), halfWidth: ci.halfWidth, lo: ci.lo, hi: ci.hi };
}

/**
 * Group `items` by `key` (first appearance order kept within a group), rank the groups of each
 * section by mean score (ties broken by `tie`, then key), and give each its verdict against the
 * best of its section. Sections come largest first (null last), the groups without a score after all.
 */
export function rankGroups<T>(
  items: readonly T[],
  key: (t: T) => string,
  score: (t: T) => number | null,
  tie: (a: T, b: T) => number = () => 0,
  section: (t: T) => number | null = () => null,
): Array<RankedGroup<T>> {
  const byKey = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = byKey.get(k);
    if (list) list.push(it);
    else byKey.set(k, [it]);
  }
  const groups = [...byKey].map(([k, its]): RankedGroup<T> => {
    const scored = its.filter((t) => isScore(score(t)));
    const scores = scored.map((t) => score(t) as number);
    const at = section(scored[0] ?? its[0]);
    const untested = { rank: null, verdict: null, p: null, diff: null, diffLo: null, diffHi: null, seedsNeeded: null };
    return { key: k, items: its, scores, ...groupStats(scores), section: at, ...untested };
  });
  const cmp = (a: RankedGroup<T>, b: RankedGroup<T>) =>
    tie(a.items[0], b.items[0]) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  const sections = [...new Set(groups.filter((g) => g.n > 0).map((g) => g.section))].sort(
    (a, b) => (b ?? -1) - (a ?? -1),
  );
  const ranked = sections.flatMap((sec) => {
    const own = groups
      .filter((g) => g.n > 0 && g.section === sec)
      .sort((a, b) => (a.mean as number) - (b.mean as number) || cmp(a, b));
    own.forEach((g, i) => (g.rank = i + 1));
    judge(own);
    return own;
  });
  return [...ranked, ...groups.filter((g) => g.n === 0).sort(cmp)];
}

const isScore = (s: number | null): s is number => s !== null && Number.isFinite(s);

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
    g.verdict = g.p >= ALPHA ? 'unresolved' : 'worse';
    const d = welchInterval(g.scores, best.scores);
    Object.assign(g, {
      diff: d.diff,
      diffLo: d.lo,
      diffHi: d.hi,
      seedsNeeded: g.verdict === 'unresolved' ? seedsForVerdict(g.scores, best.scores, ALPHA) : null,
    });
  }
}

/** Whether any configuration ran with more than one seed (then tables show configurations, not runs). */
export function multiSeed<T>(groups: ReadonlyArray<RankedGroup<T>>): boolean {
  return groups.some((g) => g.items.length > 1);
}

/** The verdict as a table cell: "best", "not resolved (p 0.31; needs ≥ 5 seeds)", "worse (p 0.002)", "not tested"; `short` for narrow tables. */
export function verdictText(
  g: { verdict: Verdict | null; p: number | null; n: number; seedsNeeded?: number | null },
  short = false,
): string {
  switch (g.verdict) {
    case 'best':
      return 'best';
    case 'unresolved':
      if (short) return `n.r. p ${fmtP(g.p as number)}, ${g.seedsNeeded == null ? '>1000' : `≥${g.seedsNeeded}`} seeds`;
      return `not resolved (p ${fmtP(g.p as number)}; ${seedsText(g.seedsNeeded ?? null)})`;
    case 'worse':
      return `worse (p ${fmtP(g.p as number)})`;
    case 'untested':
      return g.n < 2 ? 'not tested (1 seed)' : 'not tested (best has 1 seed)';
    default:
      return '—';
  }
}

/** The seeds a side a verdict would need, short: "≥ 3 seeds", "> 1000 seeds". */
export function seedsText(n: number | null): string {
  return n === null ? 'needs > 1000 seeds' : `needs ≥ ${n} seeds`;
}

/** The difference to the best with its 95 % interval: "+0.958 [−0.054, +1.970]". */
export function diffText(g: { diff: number | null; diffLo: number | null; diffHi: number | null }): string {
  if (g.diff === null || g.diffLo === null || g.diffHi === null) return '—';
  const f = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(3)}`;
  return `${f(g.diff)} [${f(g.diffLo)}, ${f(g.diffHi)}]`;
}

export function fmtP(p: number): string {
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** Mean of the non-null values, null if there are none. */
export function meanOrNull(xs: ReadonlyArray<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : mean(v);
}
