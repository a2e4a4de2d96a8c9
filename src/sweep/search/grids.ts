/**
 * A union of grids: each grid of search.grids, laid over the experiment's grid (its lists win),
 * expanded as a cartesian product; the configurations joined in order, a repeated one kept once.
 * For ladders of models that differ in several knobs at once (an LSTM of 256 units beside a GRU
 * of 300 and an RNN of 512) without running their cartesian product.
 */
import type { Experiment } from '../../results/schema.js';
import { configId, type KnobValues } from '../../results/knobs.js';
import { gridConfigs } from './grid.js';

export function gridsConfigs(exp: Pick<Experiment, 'grid' | 'search'>): KnobValues[] {
  if (exp.search?.method !== 'grids') throw new Error('internal error: a union of grids without its grids');
  const seen = new Set<string>();
  const out: KnobValues[] = [];
  for (const grid of exp.search.grids) {
    for (const c of gridConfigs({ grid: { ...exp.grid, ...grid } })) {
      const id = configId(c);
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(c);
    }
  }
  return out;
}
