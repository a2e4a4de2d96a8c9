/**
 * Parameter importance (pure): how much of the variance of held-out bpc each knob explains by
 * itself, by functional ANOVA over a random forest (src/util/fanova.ts), fitted to the
 * configurations' mean scores over their seeds.
 *
 *   comparable runs   only scores at one budget: the training budget at which the most
 *                     configurations have a score (ties: the larger budget); runs at the full
 *                     budget from summary.csv, rung scores from rungs.csv (halving, Hyperband);
 *                     a configuration with a diverged or failed seed there has no score and is left out
 *   inputs            the knobs that vary among those configurations; a numeric knob in log when
 *                     all its values are positive and span a factor of 4 or more, choices as
 *                     categories (their codes in sorted order); each range widened by half the gap
 *                     to the next value at either end, so evenly spaced grid values weigh alike
 *   uncertainty       95 % percentile interval over bootstrap resamples of the configurations
 */
import { cmpKnobValue, configId, type KnobKey, type KnobValues } from '../results/knobs.js';
import { fanova } from '../util/fanova.js';
import { makeRng } from '../util/rng.js';
import type { Column } from './tableColumns.js';
import type { ImportanceReport, LeaderboardEntry, RungRow } from './types.js';
import { KNOBS, KNOB_LABELS } from './types.js';

export const IMPORTANCE_TREES = 64;
export const IMPORTANCE_RESAMPLES = 100;
const RESAMPLE_TREES = 32;
/** Fewer configurations than this at every budget: no importance is estimated. */
const MIN_CONFIGS = 5;

interface Point {
  config: KnobValues;
  score: number;
}

/** The configurations' mean scores at each budget: full-budget runs from the leaderboard, rung scores from rungs.csv. */
function scoresByBudget(
  leaderboard: LeaderboardEntry[],
  rungs: readonly RungRow[],
): Map<number, Map<string, Point | null>> {
  const out = new Map<number, Map<string, Point | null>>();
  const at = (b: number) => out.get(b) ?? out.set(b, new Map()).get(b)!;
  const byConfig = new Map<string, LeaderboardEntry[]>();
  for (const e of leaderboard)
    if (e.status !== 'missing') byConfig.set(configId(e), [...(byConfig.get(configId(e)) ?? []), e]);
  const budget = Math.max(0, ...leaderboard.map((e) => e.chars ?? 0), ...rungs.map((r) => r.budgetChars));
  for (const [id, runs] of byConfig) {
    const done = runs.every((e) => e.status === 'done' && e.valBpc !== null && e.chars === budget);
    const stopped = runs.every((e) => e.status === 'done' && e.chars !== budget); // a rung method's run stopped earlier: scored below
    if (!stopped)
      at(budget).set(
        id,
        done ? { config: runs[0], score: runs.reduce((s, e) => s + (e.valBpc as number), 0) / runs.length } : null,
      );
  }
  const knobsOf = new Map(leaderboard.map((e) => [e.runId, e as KnobValues]));
  for (const r of rungs) {
    const config = knobsOf.get(r.runId);
    if (!config) continue;
    at(r.budgetChars).set(configId(config), r.configValBpc === null ? null : { config, score: r.configValBpc });
  }
  return out;
}

/** One knob's coordinate: log, linear or a category code, and its widened range. */
function axis(values: Array<number | string>): {
  code: (v: number | string) => number;
  bounds: [number, number];
  scale: 'log' | 'linear' | 'categories';
} {
  const distinct = [...new Set(values)].sort(cmpKnobValue);
  if (distinct.some((v) => typeof v !== 'number')) {
    return { code: (v) => distinct.indexOf(v), bounds: [-0.5, distinct.length - 0.5], scale: 'categories' };
  }
  const nums = distinct as number[];
  const log = nums[0] > 0 && nums[nums.length - 1] / nums[0] >= 4;
  const code = (v: number | string) => (log ? Math.log(Number(v)) : Number(v));
  const c = nums.map(code);
  const k = c.length - 1;
  return { code, bounds: [c[0] - (c[1] - c[0]) / 2, c[k] + (c[k] - c[k - 1]) / 2], scale: log ? 'log' : 'linear' };
}

/**
 * Pairs of varying knobs whose effects the configurations cannot separate: knob b is a function of
 * knob a (every value of a comes with one value of b) while a repeats a value — as in a ladder's union
 * of grids, where the optimizer follows the cell. A knob whose values are all distinct (a sampled
 * continuous one) determines everything trivially and is not counted as confounding.
 */
export function confoundedPairs(
  configs: readonly KnobValues[],
  varying: readonly KnobKey[],
): Array<[KnobKey, KnobKey]> {
  const pairs: Array<[KnobKey, KnobKey]> = [];
  for (const a of varying) {
    if (new Set(configs.map((c) => c[a])).size === configs.length) continue;
    for (const b of varying) {
      if (b === a) continue;
      const seen = new Map<unknown, unknown>();
      const isFunction = configs.every((c) =>
        seen.has(c[a]) ? seen.get(c[a]) === c[b] : (seen.set(c[a], c[b]), true),
      );
      if (isFunction) pairs.push([a, b]);
    }
  }
  return pairs;
}

/**
 * Importance of each varying knob at the budget with the most scored configurations; null with too
 * few, or when two knobs are confounded (then a note in `notes` says which: no estimate could tell them apart).
 */
export function importanceOf(
  leaderboard: LeaderboardEntry[],
  rungs: readonly RungRow[] = [],
  notes: string[] = [],
): ImportanceReport | null {
  const budgets = [...scoresByBudget(leaderboard, rungs)].map(([budget, m]) => ({ budget, all: [...m.values()] }));
  budgets.sort((a, b) => b.all.filter(Boolean).length - a.all.filter(Boolean).length || b.budget - a.budget);
  const pick = budgets[0];
  const points = (pick?.all.filter(Boolean) ?? []) as Point[];
  if (points.length < MIN_CONFIGS) return null;
  const varying = KNOBS.filter((k) => new Set(points.map((p) => p.config[k])).size > 1);
  if (varying.length === 0) return null;
  const confounded = confoundedPairs(
    points.map((p) => p.config),
    varying,
  );
  if (confounded.length > 0) {
    const shown = confounded.slice(0, 3).map(([a, b]) => `${KNOB_LABELS[b]} follows ${KNOB_LABELS[a]}`);
    const named = `${shown.join('; ')}${confounded.length > 3 ? `; ${confounded.length - 3} more pairs` : ''}`;
    notes.push(
      `Parameter importance is not estimated: the configurations confound knobs (${named}), so no model of the scores can tell their effects apart.`,
    );
    return null;
  }
  const axes = varying.map((k) => axis(points.map((p) => p.config[k])));
  const x = points.map((p) => varying.map((k, j) => axes[j].code(p.config[k])));
  const y = points.map((p) => p.score);
  const bounds = axes.map((a) => a.bounds);
  const point = fanova(x, y, bounds, { trees: IMPORTANCE_TREES, seed: 'importance' });
  const rng = makeRng('importance:bootstrap');
  const resampled = Array.from({ length: IMPORTANCE_RESAMPLES }, (_, b) => {
    const idx = points.map(() => Math.min(points.length - 1, Math.floor(rng() * points.length)));
    return fanova(
      idx.map((i) => x[i]),
      idx.map((i) => y[i]),
      bounds,
      { trees: RESAMPLE_TREES, seed: `importance:${b}` },
    );
  });
  const knobs = varying.map((k, j) => {
    const sorted = resampled.map((r) => r[j]).sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    return { knob: k, label: KNOB_LABELS[k], importance: point[j], lo: q(0.025), hi: q(0.975), scale: axes[j].scale };
  });
  knobs.sort((a, b) => b.importance - a.importance);
  const interactions = Math.max(0, 1 - point.reduce((s, v) => s + v, 0));
  return {
    budgetChars: pick.budget,
    configs: points.length,
    excluded: pick.all.length - points.length,
    knobs,
    interactions,
    trees: IMPORTANCE_TREES,
    resamples: IMPORTANCE_RESAMPLES,
  };
}

export const IMPORTANCE_PROSE =
  'How much of the variance of held-out bpc each knob explains by itself: functional ANOVA (fANOVA, as Optuna and W&B show it) over a random forest of ' +
  `${IMPORTANCE_TREES} regression trees fitted to the configurations' mean scores over their seeds, all at one training budget (comparable runs only); ` +
  'a numeric knob spanning a factor of 4 or more in log. The interval is the 2.5–97.5 % range over ' +
  `${IMPORTANCE_RESAMPLES} bootstrap resamples of the configurations; what the knobs leave of the variance is in their interactions.`;

/** One sentence: where the estimate comes from. */
export function importanceBasis(imp: ImportanceReport): string {
  const left =
    imp.excluded > 0 ? `; ${imp.excluded} configuration(s) with a diverged or failed seed there are left out` : '';
  return `${imp.configs} configurations at ${imp.budgetChars.toLocaleString('en-US')} training characters${left}; interactions: ${(100 * imp.interactions).toFixed(0)} % of the variance.`;
}

type ImportanceLine = ImportanceReport['knobs'][number];
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export const importanceColumns: Array<Column<ImportanceLine>> = [
  { head: 'knob', numeric: false, text: (k) => k.label },
  { head: 'share of variance', numeric: true, text: (k) => pct(k.importance) },
  { head: '95 % interval', numeric: true, text: (k) => `${pct(k.lo)} – ${pct(k.hi)}` },
  { head: 'scale', numeric: false, text: (k) => k.scale },
];
