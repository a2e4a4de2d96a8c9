/**
 * The sweep's runs: the search method's configurations times the seeds (seeds innermost), in a
 * fixed order, each with a stable id. This list is the plan: the sweep runs it (a shard runs its
 * part of it), `--plan` prints it and the report lists what is missing from it.
 */
import { UsageError } from '../errors.js';
import type { CellName } from '../model/cells/index.js';
import type { InitName, OptimizerName, RnnConfig } from '../model/types.js';
import type { Experiment } from './schema.js';
import { runId, type KnobValues } from './knobs.js';
import { searchConfigs } from './search/index.js';
import { gridConfigs } from './search/grid.js';
import { checkRungBudgets } from './search/halving.js';

export { runId };

export type RunSpec = KnobValues & {
  id: string;
  index: number; // position in the deterministic order
  seed: number;
};

/** The model a run's knobs describe (src/sweep/knobs.ts → src/model/types.ts). */
export function modelConfig(spec: KnobValues & { seed: number }, vocabSize: number): RnnConfig {
  const { hiddenSize, unroll, learningRate, clip, seed, cell, layers, optimizer, batch, clipNorm, dropout, lrDecay, lrDecayAfter, init } = spec;
  const { inputDropout, outputDropout, weightDecay } = spec;
  return {
    vocabSize, hiddenSize, unroll, learningRate, clip, seed,
    cell: cell as CellName, layers, optimizer: optimizer as OptimizerName, batch, clipNorm, dropout, lrDecay, lrDecayAfter, init: init as InitName,
    inputDropout, outputDropout, weightDecay,
  };
}

/** Every configuration once per seed, seeds innermost. */
export function runsOf(configs: readonly KnobValues[], seeds: readonly number[]): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const c of configs)
    for (const seed of seeds) {
      const r = { ...c, seed };
      runs.push({ ...r, id: runId(r), index: runs.length });
    }
  return runs;
}

/** Grid search's runs: nested loops over the knobs in registry order, outermost first, then seeds. */
export function expandGrid(exp: Pick<Experiment, 'grid' | 'seeds'>): RunSpec[] {
  return runsOf(gridConfigs(exp), exp.seeds);
}

/** The runs an experiment asks for, by its search method. */
export function planRuns(exp: Pick<Experiment, 'grid' | 'seeds' | 'search'>): RunSpec[] {
  return runsOf(searchConfigs(exp), exp.seeds);
}

/**
 * planRuns for an experiment read from `file`: a plan that cannot be made (a random space too
 * small, halving rung budgets that cut chunks) names the file.
 */
export function planRunsOf(exp: Pick<Experiment, 'grid' | 'seeds' | 'search' | 'budget'>, file: string): RunSpec[] {
  try {
    const runs = planRuns(exp);
    if (exp.search?.method === 'halving') checkRungBudgets(exp.search, exp.budget.chars, runs);
    return runs;
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}
