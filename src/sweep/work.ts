/**
 * How much training a sweep has ahead of it, for its progress line and ETA. Characters alone are a
 * poor measure when the runs differ in size (an LSTM of 512 costs about four times what a GRU of
 * 300 does per character), so work is counted in characters × the run's parameter count: each
 * parameter is about one multiply–add per character forward and two backward, whatever the cell.
 */
import { parameterCount } from '../model/spec.js';
import { modelConfig, type RunSpec } from './grid.js';
import { rungBudgets, rungCounts } from './search/halving.js';
import type { HalvingSearch } from './schema.js';

/** A run's cost per training character (its parameter count). */
export type CostPerChar = (spec: RunSpec) => number;

export function costPerChar(vocabSize: number): CostPerChar {
  return (spec) => parameterCount(modelConfig(spec, vocabSize));
}

/** The trainings a sweep plans: how many in all, how many an earlier session did, and the weighted characters left. */
export interface PlannedWork {
  tasks: number;
  done: number;
  work: number;
}

/** A grid (or random) sweep: one training per run, each to the full budget. */
export function gridWork(runs: number, todo: readonly RunSpec[], budget: number, cost: CostPerChar): PlannedWork {
  return { tasks: runs, done: runs - todo.length, work: todo.reduce((s, r) => s + cost(r) * budget, 0) };
}

/**
 * Successive halving: each rung k trains counts[k] configurations × seeds, each for its increment
 * over the rung before. Which configurations reach the later rungs is not known yet, so they are
 * costed at the mean over all runs. `doneAt(k)`: trainings of rung k already recorded.
 */
export function halvingWork(
  search: Pick<HalvingSearch, 'eta' | 'minChars'>,
  budget: number,
  runs: readonly RunSpec[],
  seeds: number,
  cost: CostPerChar,
  doneAt: (k: number) => number,
): PlannedWork {
  const budgets = rungBudgets(search, budget);
  const counts = rungCounts(runs.length / seeds, budgets.length, search.eta);
  const mean = runs.reduce((s, r) => s + cost(r), 0) / Math.max(1, runs.length);
  let tasks = 0;
  let done = 0;
  let work = 0;
  budgets.forEach((b, k) => {
    const n = counts[k] * seeds;
    const d = Math.min(n, doneAt(k));
    tasks += n;
    done += d;
    work += (n - d) * (b - (k > 0 ? budgets[k - 1] : 0)) * mean;
  });
  return { tasks, done, work };
}
