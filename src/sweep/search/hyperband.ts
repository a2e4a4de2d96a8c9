/**
 * Rung methods as staged searches: successive halving is one bracket, Hyperband (Li et al. 2018)
 * one bracket per starting budget, over the same ladder of budgets b_j = minChars · eta^j (the
 * last = maxChars; ./halving.ts):
 *
 *   s_max = levels − 1;  bracket k = 1 … s_max + 1 has s = s_max + 1 − k and starts
 *   n_s = ⌈(s_max + 1) · eta^s / (s + 1)⌉ configurations at level s_max − s, halving from there:
 *   eta 3, 100k … 2.7M:  27 @ 100k → 9 → 3 → 1;  12 @ 300k → 4 → 1;  6 @ 900k → 2;  4 @ 2.7M
 *
 * The brackets advance together, level by level: a stage is every bracket's runs at the lowest
 * level not decided yet, so a training at level j always finds the run's checkpoints of the levels
 * below it. A run is one trajectory whatever bracket asks for it (training is deterministic and a
 * continuation exact), so a configuration drawn by two brackets trains once to each budget, each
 * bracket ranking it on the same score. A diverged or failed training stays so at larger budgets.
 * With an adaptive sampler (TPE: BOHB) a bracket is drawn only when the brackets before it are
 * decided. Decisions depend only on scores at fixed budgets: never on worker count or timing.
 */
import type { Experiment, HalvingSearch, HyperbandSearch } from '../../results/schema.js';
import { configId, type KnobValues } from '../../results/knobs.js';
import { decideRung, keptCount, rungBudgets } from './halving.js';
import { runsOf, type RunSpec } from './runs.js';
import { configSource, type ConfigSource } from './sources.js';
import {
  configScore,
  type BracketDecision,
  type Observed,
  type StagedPlan,
  type StagedSearch,
  type Training,
} from './staged.js';
import type { Scored } from './tpe.js';

export interface BracketShape {
  /** 1-based, the most exploratory (most configurations, smallest budget) first. */
  bracket: number;
  /** Index in the ladder of the budget the bracket starts at. */
  startLevel: number;
  /** Configurations the bracket starts. */
  configs: number;
}

/** Hyperband's brackets over a ladder of `levels` budgets. */
export function bracketShapes(eta: number, levels: number): BracketShape[] {
  const sMax = levels - 1;
  return Array.from({ length: levels }, (_, k) => {
    const s = sMax - k;
    const num = (sMax + 1) * eta ** s;
    return { bracket: k + 1, startLevel: k, configs: Math.floor((num + s) / (s + 1)) }; // ⌈num / (s+1)⌉ in integers
  });
}

/** How many configurations each rung of a bracket runs (each keeps max(1, ⌊n / eta⌋)). */
export function bracketCounts(shape: BracketShape, levels: number, eta: number): number[] {
  const out: number[] = [];
  for (let j = shape.startLevel, n = shape.configs; j < levels; j++, n = keptCount(n, eta)) out.push(n);
  return out;
}

/** Each bracket's trainings rung by rung (its first from scratch, the others from the rung before), none shared. */
export function plannedTrainings(
  ladder: readonly number[],
  eta: number,
  seeds: number,
  shapes: readonly BracketShape[],
): StagedPlan['trainings'] {
  return shapes.flatMap((shape) =>
    bracketCounts(shape, ladder.length, eta).map((n, i) => {
      const level = shape.startLevel + i;
      return { budget: ladder[level], from: i === 0 ? 0 : ladder[level - 1], runs: n * seeds };
    }),
  );
}

type RungExperiment = Pick<Experiment, 'grid' | 'seeds' | 'budget'>;

export function halvingSearch(exp: RungExperiment & { search: HalvingSearch }): StagedSearch {
  const ladder = rungBudgets(exp.search, exp.budget.chars);
  const source = configSource(exp, exp.search.sampler, 1, ladder);
  const count = exp.search.sampler?.method === 'random' ? exp.search.sampler.samples! : source.size!;
  return rungSearch(ladder, exp.search.eta, exp.seeds, source, [{ bracket: 1, startLevel: 0, configs: count }]);
}

export function hyperbandSearch(exp: RungExperiment & { search: HyperbandSearch }): StagedSearch {
  const ladder = rungBudgets(exp.search, exp.budget.chars);
  const source = configSource(exp, exp.search.sampler, exp.search.seed ?? 1, ladder);
  return rungSearch(ladder, exp.search.eta, exp.seeds, source, bracketShapes(exp.search.eta, ladder.length));
}

/** A bracket as far as the observations go. */
interface BracketState {
  shape: BracketShape;
  configs: string[];
  /** The level the bracket waits at and its runs there (recorded ones included); null when decided. */
  pending: { level: number; runs: RunSpec[] } | null;
  decisions: BracketDecision[];
  /** Each run that stopped (or finished) in this bracket, with the budget where. */
  stops: Map<string, number>;
}

function rungSearch(
  ladder: number[],
  eta: number,
  seeds: readonly number[],
  source: ConfigSource,
  shapes: BracketShape[],
): StagedSearch {
  return {
    ladder,
    plan(raw: Observed): StagedPlan {
      const observed = absorbing(raw, ladder);
      const { union, brackets } = drawBrackets(ladder, eta, seeds, source, shapes, observed);
      const runs = runsOf(union, seeds);
      const drawnAll = brackets.length === shapes.length;
      const totalConfigs = drawnAll ? union.length : shapes.reduce((s, b) => s + b.configs, 0);
      const trainings = plannedTrainings(ladder, eta, seeds.length, shapes);
      // An adaptive source may draw a stopped configuration again in a later bracket: until every bracket is drawn,
      // only runs trained to the full budget are settled (their rows can never change).
      const settled = settledRuns(runs, brackets, drawnAll ? 0 : ladder[ladder.length - 1]);
      const decisions = brackets.flatMap((b) => b.decisions);
      return { runs, stage: nextStage(brackets, ladder), settled, decisions, totalConfigs, trainings };
    },
  };
}

/** Every bracket that can be drawn (all of them, or for an adaptive source each once the ones before are decided), advanced. */
function drawBrackets(
  ladder: number[],
  eta: number,
  seeds: readonly number[],
  source: ConfigSource,
  shapes: BracketShape[],
  observed: Observed,
) {
  const union: KnobValues[] = [];
  const index = new Map<string, number>();
  const brackets: BracketState[] = [];
  const scoredAt = (budget: number): Scored[] =>
    union.flatMap((config) => {
      const score = configScore(runsOf([config], seeds), budget, observed);
      return score === undefined ? [] : [{ config, score: score ?? Infinity }];
    });
  for (const shape of shapes) {
    if (source.adaptive && brackets.some((b) => b.pending)) break;
    const drawn = source.draw({ bracket: shape.bracket - 1, count: shape.configs, scoredAt });
    for (const c of drawn) {
      if (index.has(configId(c))) continue;
      index.set(configId(c), union.length);
      union.push(c);
    }
    brackets.push(advanceBracket(shape, drawn, { ladder, eta, seeds, observed, index }));
  }
  return { union, brackets };
}

interface BracketContext {
  ladder: number[];
  eta: number;
  seeds: readonly number[];
  observed: Observed;
  /** Each configuration's position in plan order: the tie-break. */
  index: Map<string, number>;
}

/** A bracket's rungs from its start, deciding each rung whose runs are all recorded, up to the first that is not. */
function advanceBracket(shape: BracketShape, configs: KnobValues[], ctx: BracketContext): BracketState {
  const { ladder, eta, observed } = ctx;
  const state: BracketState = { shape, configs: configs.map(configId), pending: null, decisions: [], stops: new Map() };
  let alive = configs.flatMap((c) => runsOf([c], ctx.seeds));
  for (let level = shape.startLevel; level < ladder.length && alive.length > 0; level++) {
    const budget = ladder[level];
    if (alive.some((r) => observed(r.id, budget) === undefined)) {
      state.pending = { level, runs: alive };
      return state;
    }
    const results = alive.map((r) => {
      const o = observed(r.id, budget)!;
      return {
        runId: r.id,
        configId: configId(r),
        configIndex: ctx.index.get(configId(r))!,
        valBpc: o.status === 'done' ? o.valBpc : null,
        status: o.status,
      };
    });
    const decided = decideRung(results, eta, level === ladder.length - 1);
    state.decisions.push(
      ...decided.map((d) => ({ ...d, bracket: shape.bracket, rung: level - shape.startLevel + 1, budget })),
    );
    for (const d of decided) if (d.decision !== 'promoted') state.stops.set(d.runId, budget);
    const promoted = new Set(decided.filter((d) => d.decision === 'promoted').map((d) => d.runId));
    alive = alive.filter((r) => promoted.has(r.id));
  }
  return state;
}

/** The trainings of the lowest level any bracket waits at, each run once, in plan order. */
function nextStage(brackets: BracketState[], ladder: number[]): Training[] {
  const waiting = brackets.filter((b) => b.pending !== null);
  if (waiting.length === 0) return [];
  const level = Math.min(...waiting.map((b) => b.pending!.level));
  const runs = new Map<string, RunSpec>();
  for (const b of waiting) if (b.pending!.level === level) for (const r of b.pending!.runs) runs.set(r.id, r);
  return [...runs.values()].sort((a, b) => a.index - b.index).map((run) => ({ run, budget: ladder[level] }));
}

/** Runs no bracket waits on, with the largest budget a bracket stopped them at (those stopped below `atLeast` left out). */
function settledRuns(runs: RunSpec[], brackets: BracketState[], atLeast: number): Map<string, number> {
  const busy = new Set(brackets.flatMap((b) => (b.pending ? b.pending.runs.map((r) => r.id) : [])));
  const out = new Map<string, number>();
  for (const r of runs) {
    const at = Math.max(...brackets.map((b) => b.stops.get(r.id) ?? 0));
    if (!busy.has(r.id) && at >= atLeast) out.set(r.id, at);
  }
  return out;
}

/**
 * A run that diverged or failed at a budget is so at every larger one (its trajectory ends there):
 * the observation at a larger budget is the one below when nothing was recorded at it.
 */
export function absorbing(observed: Observed, ladder: readonly number[]): Observed {
  return (runId, budget) => {
    const o = observed(runId, budget);
    if (o !== undefined) return o;
    for (const b of ladder) {
      if (b >= budget) break;
      const below = observed(runId, b);
      if (below !== undefined && below.status !== 'done') return below;
    }
    return undefined;
  };
}
