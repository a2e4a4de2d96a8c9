/**
 * Successive halving, synchronous: every configuration trains to the first rung's budget; at each
 * rung the configurations are ranked on held-out bpc and the best 1/eta continue, from their rung
 * checkpoints, to the next rung's budget. This file is the pure part: the rung budgets and a rung's
 * decisions. src/sweep/halving.ts runs the rungs (a barrier between them) and records them.
 *
 *   budget of rung k   b_k = min(minChars · eta^k, maxChars), k = 0, 1, …; the last rung is maxChars
 *   kept after rung k  max(1, ⌊n_k / eta⌋) of the n_k configurations that ran it
 *
 * A configuration's score is the mean of its seeds' final held-out bpc at the rung's budget (the
 * full held-out text); a configuration with a diverged or failed seed (no score) ranks after every
 * scored one; ties go to the earlier configuration in plan order. The decisions therefore depend only on
 * the scores, never on worker count or finishing order.
 */
import { UsageError } from '../../errors.js';
import type { HalvingSearch } from '../../results/schema.js';
import type { KnobValues } from '../../results/knobs.js';

/** The rung budgets, ascending, the last one exactly maxChars. */
export function rungBudgets(search: Pick<HalvingSearch, 'eta' | 'minChars'>, maxChars: number): number[] {
  const out: number[] = [];
  for (let b = search.minChars; b < maxChars; b *= search.eta) out.push(b);
  out.push(maxChars);
  return out;
}

/** How many of n configurations continue past a rung. */
export const keptCount = (n: number, eta: number): number => Math.max(1, Math.floor(n / eta));

/** How many configurations run each rung (the counts do not depend on which are kept): for --plan and the report. */
export function rungCounts(configs: number, rungs: number, eta: number): number[] {
  const out: number[] = [];
  for (let k = 0, n = configs; k < rungs; k++, n = keptCount(n, eta)) out.push(n);
  return out;
}

/** Characters a halving sweep trains: each rung's runs train only their increment over the rung before. */
export function halvingChars(budgets: readonly number[], counts: readonly number[], seeds: number): number {
  return budgets.reduce((sum, b, k) => sum + counts[k] * seeds * (b - (k > 0 ? budgets[k - 1] : 0)), 0);
}

/** One run's result at a rung. */
export interface RungResult {
  runId: string;
  configId: string;
  /** Position of the configuration in plan order (the tie-break). */
  configIndex: number;
  /** Final held-out bpc at the rung's budget; null when the run diverged or failed. */
  valBpc: number | null;
  /** How the run's training to the rung's budget ended (a failed one ranks like a diverged one). */
  status?: 'done' | 'diverged' | 'failed';
}

export type Decision = 'promoted' | 'stopped' | 'final';

export interface RungDecision extends RungResult {
  /** Mean held-out bpc of the run's configuration over its seeds (null if any seed has none). */
  configValBpc: number | null;
  /** 1-based rank of the configuration within the rung. */
  rank: number;
  decision: Decision;
}

/** The rung's decisions, one per run, in the order of `results` (every seed of a configuration shares its decision). */
export function decideRung(results: readonly RungResult[], eta: number, last: boolean): RungDecision[] {
  const configs = new Map<string, { index: number; scores: Array<number | null> }>();
  for (const r of results) {
    const c = configs.get(r.configId) ?? { index: r.configIndex, scores: [] };
    c.scores.push(r.valBpc);
    configs.set(r.configId, c);
  }
  const scored = [...configs].map(([id, c]) => ({ id, index: c.index, mean: meanOrNull(c.scores) }));
  // Scored first, by mean ascending; unscored after; ties (and the unscored) by plan order.
  scored.sort((a, b) => (a.mean ?? Infinity) - (b.mean ?? Infinity) || a.index - b.index);
  const keep = keptCount(scored.length, eta);
  const rankOf = new Map(scored.map((c, i) => [c.id, { rank: i + 1, mean: c.mean }]));
  return results.map((r) => {
    const { rank, mean } = rankOf.get(r.configId)!;
    const decision: Decision = last ? 'final' : rank <= keep && mean !== null ? 'promoted' : 'stopped';
    return { ...r, configValBpc: mean, rank, decision };
  });
}

function meanOrNull(xs: Array<number | null>): number | null {
  if (xs.some((x) => x === null || !Number.isFinite(x))) return null;
  return (xs as number[]).reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * A promoted run continues exactly (bit for bit as a run trained straight to the larger budget)
 * only if every rung ends on a whole chunk: each rung budget must be a multiple of every
 * configuration's unroll × batch. Checked once, when the plan is made.
 */
export function checkRungBudgets(
  search: Pick<HalvingSearch, 'minChars'>,
  maxChars: number,
  configs: readonly KnobValues[],
): void {
  const steps = [...new Set(configs.map(chunkChars))];
  const step = steps.reduce(lcm, 1);
  for (const [key, value] of [
    ['minChars', search.minChars],
    ['maxChars', maxChars],
  ] as const) {
    if (value % step !== 0) {
      throw new UsageError(
        `search.${key}: ${value} is not a multiple of ${step} (the least common multiple of the configurations' characters per chunk, unroll × batch: ${steps.join(', ')}); ` +
          'a promoted run continues exactly only from a whole chunk: choose a multiple of it',
      );
    }
  }
}

/** Characters one training step reads: unroll × batch (batch is 1 until that knob exists). */
function chunkChars(c: KnobValues): number {
  const batch = (c as unknown as { batch?: number }).batch ?? 1;
  return c.unroll * batch;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number): number => (a / gcd(a, b)) * b;
