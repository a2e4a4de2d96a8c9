/**
 * Search methods: how an experiment's configurations are chosen. Each method turns the experiment
 * into a list of configurations (KnobValues), in a fixed order; src/sweep/grid.ts multiplies them
 * by the seeds and names the runs. A method is one entry here plus its schema in schema.ts.
 *
 * Successive halving runs the grid's configurations; what makes it a method of its own is how the
 * sweep trains them (rung by rung, the best continuing from their checkpoints: ./halving.ts and
 * src/sweep/halving.ts).
 */
import type { Experiment } from '../schema.js';
import type { KnobValues } from '../knobs.js';
import { gridConfigs } from './grid.js';
import { gridsConfigs } from './grids.js';
import { randomConfigs } from './random.js';

export type SearchMethodName = NonNullable<Experiment['search']>['method'];

export interface SearchMethod {
  /** One line for --help and the README. */
  summary: string;
  configs(exp: Pick<Experiment, 'grid' | 'search'>): KnobValues[];
}

export const SEARCH_METHODS: Record<SearchMethodName, SearchMethod> = {
  grid: { summary: 'every combination of the grid\'s lists', configs: gridConfigs },
  grids: { summary: 'the union of the grids in search.grids (each laid over the experiment\'s grid), in order', configs: gridsConfigs },
  random: {
    summary: 'search.samples configurations drawn from search.space with the seed search.seed',
    configs: (exp) => {
      if (exp.search?.method !== 'random') throw new Error('internal error: random search without its settings');
      return randomConfigs({ grid: exp.grid, search: exp.search });
    },
  },
  halving: {
    summary: 'the grid\'s combinations, trained rung by rung (budgets search.minChars · search.eta^k up to budget.chars), the best 1/eta of each rung continuing',
    configs: gridConfigs,
  },
};

/** The experiment's configurations, by its search method (grid when none is given). */
export function searchConfigs(exp: Pick<Experiment, 'grid' | 'search'>): KnobValues[] {
  return SEARCH_METHODS[exp.search?.method ?? 'grid'].configs(exp);
}
