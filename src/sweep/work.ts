/**
 * How much training a sweep has ahead of it, for its progress line and ETA. Characters alone are a
 * poor measure when the runs differ in size (an LSTM of 512 costs about four times what a GRU of
 * 300 does per character), so work is counted in characters × the run's parameter count: each
 * parameter is about one multiply–add per character forward and two backward, whatever the cell.
 */
import { parameterCount } from '../model/spec.js';
import { modelConfig, type RunSpec } from './grid.js';
import type { Observed, StagedPlan } from './search/staged.js';

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
 * A staged sweep (halving, Hyperband, TPE): the trainings its plan expects (src/sweep/search/staged.ts),
 * each for its increment, less those recorded. Which configurations reach the later rungs (and
 * what TPE suggests) is not known yet, so every training is costed at the mean over the runs
 * planned so far; trainings Hyperband shares between brackets count once they are recorded.
 */
export function stagedWork(plan: StagedPlan, observed: Observed, cost: CostPerChar): PlannedWork {
  const mean = plan.runs.reduce((s, r) => s + cost(r), 0) / Math.max(1, plan.runs.length);
  const left = new Map<number, number>(); // recorded trainings per budget, not yet set against a planned group
  for (const g of plan.trainings)
    if (!left.has(g.budget)) left.set(g.budget, plan.runs.filter((r) => observed(r.id, g.budget) !== undefined).length);
  let tasks = 0;
  let done = 0;
  let work = 0;
  for (const g of plan.trainings) {
    const d = Math.min(g.runs, left.get(g.budget)!);
    left.set(g.budget, left.get(g.budget)! - d);
    tasks += g.runs;
    done += d;
    work += (g.runs - d) * (g.budget - g.from) * mean;
  }
  return { tasks, done, work };
}
