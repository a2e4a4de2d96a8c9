/**
 * Where successive halving and Hyperband take their configurations from ("search.sampler"): the
 * sampler half of a rung method, as Optuna keeps samplers apart from pruners.
 *
 *   grid     the grid's combinations: all of them, or for a Hyperband bracket that starts fewer, a
 *            seeded draw without repetition (brackets draw independently: a configuration drawn
 *            by two brackets is trained once to each budget and shared)
 *   random   drawn from search.sampler.space as random search draws (the same seed gives
 *            successive halving the random search's configurations)
 *   tpe      (Hyperband: BOHB) fitted on the largest budget at which at least `startup`
 *            configurations are scored, random until then; a bracket is drawn only when the one
 *            before it is decided; like the grid's draws, a bracket may draw a configuration an
 *            earlier bracket ran (it then shares its trainings), never one twice itself
 */
import { makeRng } from '../../util/rng.js';
import type { Experiment, SamplerSettings } from '../../results/schema.js';
import type { KnobValues } from '../../results/knobs.js';
import { gridConfigs } from './grid.js';
import { randomConfigs } from './random.js';
import { suggestTpe, tpeSpace, type Scored } from './tpe.js';

export interface SourceDraw {
  /** 0-based: the bracket drawing (successive halving has one). */
  bracket: number;
  count: number;
  /** The configurations scored at each budget of the ladder so far (adaptive sources only). */
  scoredAt: (budget: number) => Scored[];
}

export interface ConfigSource {
  /** True when draws depend on scores: the brackets then run one after another. */
  adaptive: boolean;
  /** How many configurations there are to draw from (null: unbounded). */
  size: number | null;
  draw(d: SourceDraw): KnobValues[];
}

type SourceExperiment = Pick<Experiment, 'grid'>;

export function configSource(
  exp: SourceExperiment,
  sampler: SamplerSettings | undefined,
  gridSeed: number,
  ladder: readonly number[],
): ConfigSource {
  if (sampler?.method === 'random') return randomSource(exp, sampler);
  if (sampler?.method === 'tpe') return tpeSource(exp, sampler, ladder);
  return gridSource(exp, gridSeed);
}

function gridSource(exp: SourceExperiment, seed: number): ConfigSource {
  const all = gridConfigs(exp);
  return {
    adaptive: false,
    size: all.length,
    draw({ bracket, count }) {
      if (count >= all.length) return all;
      const rng = makeRng(`hyperband:${seed}:bracket${bracket + 1}`);
      const order = all.map((c, i) => ({ c, key: rng(), i }));
      order.sort((a, b) => a.key - b.key || a.i - b.i);
      return order
        .slice(0, count)
        .sort((a, b) => a.i - b.i)
        .map((x) => x.c); // the grid's own order within the draw
    },
  };
}

function randomSource(exp: SourceExperiment, s: Extract<SamplerSettings, { method: 'random' }>): ConfigSource {
  const draw = (count: number, stream?: string) =>
    randomConfigs(
      { grid: exp.grid, search: { method: 'random', samples: count, seed: s.seed, space: s.space } },
      stream,
    );
  return {
    adaptive: false,
    size: null,
    // Successive halving (one draw) takes exactly the random search's configurations of this seed.
    draw: ({ bracket, count }) =>
      bracket === 0 ? draw(count) : draw(count, `hyperband-random:${s.seed}:bracket${bracket + 1}`),
  };
}

function tpeSource(
  exp: SourceExperiment,
  s: Extract<SamplerSettings, { method: 'tpe' }>,
  ladder: readonly number[],
): ConfigSource {
  const space = tpeSpace(s.space, exp.grid);
  return {
    adaptive: true,
    size: null,
    draw({ bracket, count, scoredAt }) {
      const stream = `bohb:${s.seed}:bracket${bracket + 1}`;
      const budget = [...ladder].reverse().find((b) => scoredAt(b).length >= s.startup);
      // Not enough scores anywhere yet: random draws.
      if (budget === undefined)
        return randomConfigs(
          { grid: exp.grid, search: { method: 'random', samples: count, seed: s.seed, space: s.space } },
          stream,
        );
      return suggestTpe(space, scoredAt(budget), count, { stream, candidates: s.candidates, taken: new Set() });
    },
  };
}
