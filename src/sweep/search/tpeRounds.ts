/**
 * TPE as a search method ("method": "tpe"): configurations in rounds, every run to the full budget.
 *
 *   round 1       the first `startup` configurations random search draws with the same seed
 *                 (so TPE and random search of one seed start from the same draws)
 *   round r > 1   `round` configurations suggested (./tpe.ts) from every configuration of the
 *                 rounds before, each scored by the mean held-out bpc of its seeds; the generator
 *                 is seeded by the search seed and the round number
 *
 * A round starts only when every run of the rounds before is recorded (the barrier), so the
 * suggestions depend on the recorded scores and the seed alone: not on the worker count, nor on
 * the order runs finish in. Planning again from summary.csv after a kill gives the same rounds.
 */
import type { Experiment, TpeSearch } from '../../results/schema.js';
import { configId, type KnobValues } from '../../results/knobs.js';
import { runsOf } from './runs.js';
import { randomConfigs } from './random.js';
import { configScore, type Observed, type StagedPlan, type StagedSearch } from './staged.js';
import { suggestTpe, tpeSpace, type Scored } from './tpe.js';

type TpeExperiment = Pick<Experiment, 'grid' | 'seeds' | 'budget'> & { search: TpeSearch };

/** Suggestions already made, by round and the scores they were made from (scores once recorded never change). */
type RoundCache = Map<string, KnobValues[]>;

/** The rounds derivable from the observations: every complete round, then the first incomplete one (or all `samples`). */
export function tpeRounds(exp: TpeExperiment, observed: Observed, cache: RoundCache = new Map()): KnobValues[][] {
  const { samples, seed, startup, round, candidates } = exp.search;
  const space = tpeSpace(exp.search.space, exp.grid);
  const rounds = [
    randomConfigs({ grid: exp.grid, search: { method: 'random', samples: startup, seed, space: exp.search.space } }),
  ];
  const scored: Scored[] = [];
  for (let done = startup; done < samples;) {
    const last = rounds[rounds.length - 1];
    for (const config of last) {
      const score = configScore(runsOf([config], exp.seeds), exp.budget.chars, observed);
      if (score === undefined) return rounds; // the barrier: this round is not recorded whole yet
      scored.push({ config, score: score ?? Infinity });
    }
    const count = Math.min(round, samples - done);
    const key = `${rounds.length}:${scored.map((s) => s.score).join(',')}`;
    const taken = new Set(scored.map((s) => configId(s.config)));
    if (!cache.has(key))
      cache.set(
        key,
        suggestTpe(space, scored, count, { stream: `tpe:${seed}:round${rounds.length + 1}`, candidates, taken }),
      );
    rounds.push(cache.get(key)!);
    done += count;
  }
  return rounds;
}

export function tpeSearch(exp: TpeExperiment): StagedSearch {
  const cache: RoundCache = new Map(); // a sweep plans again after every stage: each round is suggested once
  return {
    ladder: null,
    plan(observed: Observed): StagedPlan {
      const rounds = tpeRounds(exp, observed, cache);
      const runs = runsOf(rounds.flat(), exp.seeds);
      const full = exp.budget.chars;
      const last = new Set(runsOf(rounds[rounds.length - 1], exp.seeds).map((r) => r.id));
      const unrecorded = runs.filter((r) => observed(r.id, full) === undefined);
      // The stage is the last round derived, until all of its runs are recorded.
      const stage =
        unrecorded.length === 0 ? [] : runs.filter((r) => last.has(r.id)).map((run) => ({ run, budget: full }));
      const settled = new Map(runs.filter((r) => observed(r.id, full) !== undefined).map((r) => [r.id, full]));
      const trainings = [{ budget: full, from: 0, runs: exp.search.samples * exp.seeds.length }];
      return { runs, stage, settled, decisions: [], totalConfigs: exp.search.samples, trainings };
    },
  };
}

/** The round (1-based) each configuration of a TPE sweep came from, by configuration id. */
export function tpeRoundOf(exp: TpeExperiment, observed: Observed): Map<string, number> {
  return new Map(tpeRounds(exp, observed).flatMap((configs, i) => configs.map((c) => [configId(c), i + 1] as const)));
}
