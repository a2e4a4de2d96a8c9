/**
 * What `sweep --plan` says about a staged search, from the experiment alone (nothing recorded):
 * halving's rungs, Hyperband's brackets, TPE's rounds, and the training characters against every
 * configuration trained to the full budget. As data (for --json) and as lines (for the terminal).
 */
import type { Experiment } from '../../results/schema.js';
import { bracketCounts, bracketShapes, type BracketShape } from './hyperband.js';
import { rungBudgets } from './halving.js';
import type { RunSpec } from './runs.js';

interface RungLine {
  rung: number;
  budgetChars: number;
  configurations: number;
  runs: number;
}

export interface HalvingPlan {
  eta: number;
  rungs: RungLine[];
  trainChars: number;
  gridChars: number;
}

export interface HyperbandPlan {
  eta: number;
  brackets: Array<{ bracket: number; rungs: RungLine[]; trainChars: number }>;
  /** At most: trainings shared between brackets count once each, so a sweep trains less. */
  trainChars: number;
  gridChars: number;
}

export interface TpePlan {
  samples: number;
  startup: number;
  round: number;
  rounds: number;
  trainChars: number;
}

export type SearchPlan =
  { halving: HalvingPlan } | { hyperband: HyperbandPlan } | { tpe: TpePlan } | Record<string, never>;

/** One bracket's rungs and characters (each rung trains its increment; the first from scratch). */
function bracketPlan(shape: BracketShape, ladder: number[], eta: number, seeds: number) {
  const counts = bracketCounts(shape, ladder.length, eta);
  const rungs = counts.map((n, i) => ({
    rung: i + 1,
    budgetChars: ladder[shape.startLevel + i],
    configurations: n,
    runs: n * seeds,
  }));
  const trainChars = rungs.reduce(
    (s, r, i) => s + r.runs * (r.budgetChars - (i > 0 ? rungs[i - 1].budgetChars : 0)),
    0,
  );
  return { bracket: shape.bracket, rungs, trainChars };
}

export function searchPlan(exp: Experiment, runs: RunSpec[]): SearchPlan {
  const s = exp.search;
  const seeds = exp.seeds.length;
  const full = exp.budget.chars;
  if (s?.method === 'tpe') {
    return {
      tpe: {
        samples: s.samples,
        startup: s.startup,
        round: s.round,
        rounds: 1 + Math.ceil((s.samples - s.startup) / s.round),
        trainChars: s.samples * seeds * full,
      },
    };
  }
  if (s?.method !== 'halving' && s?.method !== 'hyperband') return {};
  const ladder = rungBudgets(s, full);
  if (s.method === 'halving') {
    const { rungs, trainChars } = bracketPlan(
      { bracket: 1, startLevel: 0, configs: runs.length / seeds },
      ladder,
      s.eta,
      seeds,
    );
    return { halving: { eta: s.eta, rungs, trainChars, gridChars: runs.length * full } };
  }
  const brackets = bracketShapes(s.eta, ladder.length).map((shape) => bracketPlan(shape, ladder, s.eta, seeds));
  // With a TPE sampler the brackets draw new configurations one after another: all of them are not planned yet.
  const configs =
    s.sampler?.method === 'tpe'
      ? bracketShapes(s.eta, ladder.length).reduce((n, b) => n + b.configs, 0)
      : runs.length / seeds;
  return {
    hyperband: {
      eta: s.eta,
      brackets,
      trainChars: brackets.reduce((n, b) => n + b.trainChars, 0),
      gridChars: configs * seeds * full,
    },
  };
}

const n = (x: number) => x.toLocaleString('en-US');
const pct = (a: number, b: number) => (b > 0 ? Math.round((100 * a) / b) : 0);

function rungPath(rungs: RungLine[]): string {
  return rungs.map((r) => `${n(r.configurations)} to ${n(r.budgetChars)}`).join(' → ');
}

/** The plan as lines for the terminal (empty for a plain search). */
export function searchPlanLines(plan: SearchPlan, seeds: number): string[] {
  if ('halving' in plan) {
    const h = plan.halving;
    return [
      `successive halving, eta ${h.eta} (the best 1/${h.eta} of each rung continue from their checkpoints):`,
      ...h.rungs.map(
        (r) =>
          `  rung ${r.rung}: ${n(r.configurations)} configuration(s) × ${seeds} seed(s) to ${n(r.budgetChars)} characters`,
      ),
      `  ${n(h.trainChars)} training characters in all, ${pct(h.trainChars, h.gridChars)} % of the full grid's ${n(h.gridChars)}`,
    ];
  }
  if ('hyperband' in plan) {
    const h = plan.hyperband;
    return [
      `Hyperband, eta ${h.eta}: ${h.brackets.length} brackets of successive halving (configurations × ${seeds} seed(s) to each budget; the best 1/${h.eta} of each rung continue):`,
      ...h.brackets.map((b) => `  bracket ${b.bracket}: ${rungPath(b.rungs)} (${n(b.trainChars)} characters)`),
      `  at most ${n(h.trainChars)} training characters in all, ${pct(h.trainChars, h.gridChars)} % of the ${n(h.gridChars)} of every configuration trained to the full budget;`,
      '  less where brackets draw the same configuration (it trains once to each budget)',
    ];
  }
  if ('tpe' in plan) {
    const t = plan.tpe;
    return [
      `TPE: ${n(t.samples)} configurations × ${seeds} seed(s) to the full budget (${n(t.trainChars)} training characters), in ${t.rounds} rounds:`,
      `  round 1: the ${t.startup} configurations random search draws with this seed (the runs above)`,
      ...(t.rounds > 1
        ? [
            `  rounds 2-${t.rounds}: ${t.round} configuration(s) each, suggested from the scores of every round before (known as the rounds finish)`,
          ]
        : []),
    ];
  }
  return [];
}
