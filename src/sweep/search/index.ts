/**
 * Search methods: how an experiment's configurations are chosen and trained. A method is one entry
 * here plus its schema in schema.ts, of one of two kinds:
 *
 *   configs   the configurations are known before any run (grid, grids, random): a plain sweep
 *             trains each once per seed to the full budget, in any order;
 *   staged    the trainings are planned stage by stage from the scores recorded so far
 *             (./staged.ts): successive halving and Hyperband (rungs of growing budgets, the
 *             best continuing from their checkpoints), TPE (rounds of suggestions); the sweep
 *             runs each stage behind a barrier (src/sweep/staged.ts).
 *
 * src/sweep/grid.ts multiplies configurations by the seeds and names the runs.
 */
import type { Experiment } from '../../results/schema.js';
import type { KnobValues } from '../../results/knobs.js';
import { gridConfigs } from './grid.js';
import { gridsConfigs } from './grids.js';
import { halvingSearch, hyperbandSearch } from './hyperband.js';
import { randomConfigs } from './random.js';
import type { StagedSearch } from './staged.js';
import { tpeSearch } from './tpeRounds.js';

export type SearchMethodName = NonNullable<Experiment['search']>['method'];
type SearchExperiment = Pick<Experiment, 'grid' | 'search' | 'seeds' | 'budget'>;

export interface SearchMethod {
  /** One line for --help and the docs. */
  summary: string;
  /** The configurations, for methods that know them all in advance. */
  configs?(exp: Pick<Experiment, 'grid' | 'search'>): KnobValues[];
  /** The stage planner, for methods that decide as scores come in. */
  staged?(exp: SearchExperiment): StagedSearch;
}

/** The experiment's search settings, narrowed to `method` (an internal error if the schema let anything else through). */
function settings<M extends SearchMethodName>(
  exp: Pick<Experiment, 'search'>,
  method: M,
): Extract<NonNullable<Experiment['search']>, { method: M }> {
  if (exp.search?.method !== method) throw new Error(`internal error: ${method} search without its settings`);
  return exp.search as Extract<NonNullable<Experiment['search']>, { method: M }>;
}

export const SEARCH_METHODS: Record<SearchMethodName, SearchMethod> = {
  grid: { summary: "every combination of the grid's lists", configs: gridConfigs },
  grids: {
    summary: "the union of the grids in search.grids (each laid over the experiment's grid), in order",
    configs: gridsConfigs,
  },
  random: {
    summary: 'search.samples configurations drawn from search.space with the seed search.seed',
    configs: (exp) => randomConfigs({ grid: exp.grid, search: settings(exp, 'random') }),
  },
  tpe: {
    summary:
      'search.samples configurations: search.startup drawn at random, then rounds of search.round suggested by a tree-structured Parzen estimator from the scores before',
    staged: (exp) => tpeSearch({ ...exp, search: settings(exp, 'tpe') }),
  },
  halving: {
    summary:
      "the grid's combinations (or search.sampler's draws), trained rung by rung (budgets search.minChars · search.eta^k up to budget.chars), the best 1/eta of each rung continuing",
    staged: (exp) => halvingSearch({ ...exp, search: settings(exp, 'halving') }),
  },
  hyperband: {
    summary:
      'brackets of successive halving over the budgets search.minChars · search.eta^k, each starting a different number of configurations at a different budget',
    staged: (exp) => hyperbandSearch({ ...exp, search: settings(exp, 'hyperband') }),
  },
};

export function searchMethod(exp: Pick<Experiment, 'search'>): SearchMethod {
  return SEARCH_METHODS[exp.search?.method ?? 'grid'];
}

/** The staged planner of a staged experiment, or null for a plain one. */
export function stagedSearch(exp: SearchExperiment): StagedSearch | null {
  return searchMethod(exp).staged?.(exp) ?? null;
}

/** The configurations of a plain experiment (grid when no method is given). */
export function searchConfigs(exp: Pick<Experiment, 'grid' | 'search'>): KnobValues[] {
  const m = searchMethod(exp);
  if (!m.configs) throw new Error(`internal error: ${exp.search?.method} search has no fixed list of configurations`);
  return m.configs(exp);
}
