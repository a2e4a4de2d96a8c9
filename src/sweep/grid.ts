/**
 * The sweep's runs: the search method's configurations times the seeds (seeds innermost), in a
 * fixed order, each with a stable id. This list is the plan: the sweep runs it (a shard runs its
 * part of it), `--plan` prints it and the report lists what is missing from it.
 */
import { UsageError } from '../errors.js';
import type { RnnConfig } from '../model/types.js';
import type { Experiment } from '../results/schema.js';
import { configOfKnobs, runId, type KnobValues } from '../results/knobs.js';
import { runsOf, type RunSpec } from './search/runs.js';
import { searchConfigs, stagedSearch } from './search/index.js';
import { NOTHING_OBSERVED, type Observed } from './search/staged.js';
import { gridConfigs } from './search/grid.js';
import { checkRungBudgets } from './search/halving.js';

export { runId };

export { runsOf, type RunSpec };

/** The model a run's knobs describe (src/results/knobs.ts → src/model/types.ts). */
export function modelConfig(spec: KnobValues & { seed: number }, vocabSize: number): RnnConfig {
  return configOfKnobs(spec, vocabSize, spec.seed);
}

/** Grid search's runs: nested loops over the knobs in registry order, outermost first, then seeds. */
export function expandGrid(exp: Pick<Experiment, 'grid' | 'seeds'>): RunSpec[] {
  return runsOf(gridConfigs(exp), exp.seeds);
}

/**
 * The runs an experiment asks for, by its search method. A staged method (halving, Hyperband, TPE)
 * plans from what is recorded: `observed` (nothing by default: then a TPE sweep's plan is its first
 * round, a Hyperband sweep's with a TPE sampler its first bracket).
 */
export function planRuns(
  exp: Pick<Experiment, 'grid' | 'seeds' | 'search' | 'budget'>,
  observed: Observed = NOTHING_OBSERVED,
): RunSpec[] {
  const staged = stagedSearch(exp);
  return staged ? staged.plan(observed).runs : runsOf(searchConfigs(exp), exp.seeds);
}

/**
 * planRuns for an experiment read from `file`: a plan that cannot be made (a random space too
 * small, rung budgets that cut chunks) names the file.
 */
export function planRunsOf(
  exp: Pick<Experiment, 'grid' | 'seeds' | 'search' | 'budget'>,
  file: string,
  observed: Observed = NOTHING_OBSERVED,
): RunSpec[] {
  try {
    const runs = planRuns(exp, observed);
    if (exp.search?.method === 'halving' || exp.search?.method === 'hyperband')
      checkRungBudgets(exp.search, exp.budget.chars, runs);
    return runs;
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}
