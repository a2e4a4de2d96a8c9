/**
 * Staged searches (successive halving, Hyperband, TPE): methods whose trainings are not all known
 * before the first one starts. Each is a pure function from what the sweep has recorded so far to
 * the next stage: the trainings a barrier waits for, the decisions taken, and the runs that have
 * nothing ahead of them. src/sweep/staged.ts runs the stages; every session plans again from the
 * recorded scores, so a sweep killed anywhere and run again reaches the same decisions, and no
 * decision depends on the worker count or on the order in which runs finish.
 */
import type { RunSpec } from './runs.js';
import type { RunStatus } from '../../results/status.js';
import type { RungDecision } from './halving.js';

/** What the sweep recorded for one training of a run to a budget. */
export interface Observation {
  status: RunStatus;
  /** Final held-out bpc at that budget (null: diverged, failed or nothing held out). */
  valBpc: number | null;
}

/** The recorded observation of run `runId` trained to `budget` characters, or undefined when there is none (yet). */
export type Observed = (runId: string, budget: number) => Observation | undefined;

export const NOTHING_OBSERVED: Observed = () => undefined;

/** One training: run `run` to `budget` characters (continuing from its largest recorded rung below it, if any). */
export interface Training {
  run: RunSpec;
  budget: number;
}

/** A rung's decision for one run, with the bracket and rung it belongs to: a row of rungs.csv. */
export interface BracketDecision extends RungDecision {
  /** 1-based, the most exploratory bracket first (successive halving has one). */
  bracket: number;
  /** 1-based within the bracket. */
  rung: number;
  budget: number;
}

export interface StagedPlan {
  /** Every run planned so far, in plan order (a TPE sweep's grow round by round). */
  runs: RunSpec[];
  /** The trainings of the stage to come, recorded ones included; empty when every decision is taken. */
  stage: Training[];
  /** Runs with no training ahead of them, by id, with the budget of their last training: their rows go into the tables. */
  settled: Map<string, number>;
  /** The rung decisions taken so far, in order (rungs.csv); empty for methods without rungs. */
  decisions: BracketDecision[];
  /** Configurations the method will run in all (for progress and reports); null when not known in advance. */
  totalConfigs: number | null;
  /** The trainings the whole search plans, as groups of `runs` trainings from `from` to `budget` characters (rungs: no sharing counted). */
  trainings: Array<{ budget: number; from: number; runs: number }>;
}

export interface StagedSearch {
  /**
   * The budgets trainings stop at and keep a checkpoint of, ascending, the last the full budget
   * (rung methods); null when every training runs from scratch to the full budget (TPE).
   */
  ladder: number[] | null;
  /** Failed runs rank last like diverged ones and are kept: later decisions rest on them, so they are not re-attempted. */
  plan(observed: Observed): StagedPlan;
}

/** A configuration's score from its seeds' observations: the mean bpc; null if a seed has no score (diverged, failed); undefined if a seed is not recorded yet. */
export function configScore(runs: readonly RunSpec[], budget: number, observed: Observed): number | null | undefined {
  let sum = 0;
  let scored = true;
  for (const r of runs) {
    const o = observed(r.id, budget);
    if (o === undefined) return undefined;
    if (o.status !== 'done' || o.valBpc === null || !Number.isFinite(o.valBpc)) scored = false;
    else sum += o.valBpc;
  }
  return scored ? sum / runs.length : null;
}
