/**
 * Successive halving, run: the rungs one after another with a barrier between them (a rung starts
 * only when every run of the one before is recorded), so its decisions (./search/halving.ts) never
 * depend on worker count or finishing order. Within a rung the runs fan out over the sweep's pool.
 *
 * Files, in results/<name>/checkpoints/ (never committed):
 *   <run_id>.rung<k>.safetensors     the run's final checkpoint at rung k's budget; a promoted run
 *                                    continues from it to rung k+1's (exactly: budgets are whole chunks)
 *   <run_id>.rung<k>.outcome.json    what the run recorded at rung k (scores, curves, samples),
 *                                    written atomically when it ends: the rung's state on disk
 * Each rung's decisions are taken again from the outcome files on every session, so a sweep killed
 * anywhere (mid-rung, mid-barrier) and run again reaches the same decisions and tables. At a rung's
 * barrier the runs that stop there (or finish, at the last rung) are appended to the tables as a
 * plain sweep records a run, and rungs.csv is rewritten whole with every decided rung. When the
 * last rung is decided, each run's last rung checkpoint becomes <run_id>.safetensors (keep
 * "final") and the rung files are removed.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointFiles, checkpointsDir, sweepCheckpoints, type RunCheckpoints } from '../checkpoint/runFiles.js';
import type { LoadedCorpus } from '../data/corpus.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { RunSpec } from './grid.js';
import { configId } from './knobs.js';
import type { Experiment, HalvingSearch } from './schema.js';
import { decideRung, rungBudgets, type RungDecision } from './search/halving.js';
import { writeTable, type Row } from './tables.js';
import type { RunOutcome, RunTask } from './task.js';
import { halvingWork, type CostPerChar, type PlannedWork } from './work.js';

/** What the sweep lends the rungs: its pool, its recorder, and the runs already in summary.csv. */
export interface HalvingContext {
  exp: Experiment;
  runs: RunSpec[];
  dir: string;
  loaded: LoadedCorpus;
  recorded: Set<string>;
  /** Runs `todo` on the sweep's pool; `task` shapes each run's task, `done` receives each outcome. Resolves true when interrupted. */
  pool(todo: RunSpec[], hooks: { task(base: RunTask): RunTask; done(o: RunOutcome): void }): Promise<boolean>;
  /** Appends a run's curves, samples and summary row (the sweep's own recorder). */
  record(o: RunOutcome): void;
  notice(msg: string): void;
}

export const isHalving = (exp: Experiment): exp is Experiment & { search: HalvingSearch } => exp.search?.method === 'halving';

/** Shards (and so Slurm arrays) split a plan across machines; halving's rungs need every run of a rung in one place. */
export function refuseSharding(exp: Experiment, what: string): void {
  if (isHalving(exp)) {
    throw new UsageError(`${what}: not with successive halving ("search": {"method": "halving"}): each rung needs every result of the one before in one results folder; run it as one sweep (--workers N)`);
  }
}

/**
 * A halving sweep's decisions depend on every configuration and seed: once a run is recorded, the
 * planned runs may not change (a plain sweep may add and remove grid values and seeds).
 */
export function checkSamePlan(exp: Experiment, previous: Experiment, runs: RunSpec[], previousRuns: RunSpec[], recorded: number, expPath: string): void {
  if (recorded === 0 || (!isHalving(exp) && !isHalving(previous))) return;
  const key = (rs: RunSpec[]) => rs.map((r) => r.id).join(',');
  const what = JSON.stringify(exp.search) !== JSON.stringify(previous.search) ? 'the search settings' : key(runs) !== key(previousRuns) ? 'the grid or seeds' : null;
  if (what === null) return;
  throw new UsageError(
    `${expPath}: ${what} changed since ${recorded} run(s) were recorded; successive halving ranks every configuration against all the others at fixed rung budgets, ` +
      'so its plan cannot change mid-way. Undo the change, or start over with --fresh, or use another --out or name.',
  );
}

/** The rungs, from the first one not decided yet. Resolves true when interrupted (the same command resumes). */
export async function runHalving(ctx: HalvingContext): Promise<boolean> {
  const { exp, dir } = ctx;
  const search = exp.search as HalvingSearch;
  const budgets = rungBudgets(search, exp.budget.chars);
  const checkpoints = rungCheckpoints(ctx);
  removeStaleOutcomeTemps(dir);
  const decided: RungDecision[][] = [];
  let alive = ctx.runs;
  for (let k = 0; k < budgets.length && alive.length > 0; k++) {
    const outcomes = readOutcomes(dir, k, alive, budgets[k]);
    const todo = alive.filter((r) => !outcomes.has(r.id));
    let failed = 0;
    const interrupted = await ctx.pool(todo, {
      task: (base) => rungTask(base, k, budgets, checkpoints),
      done: (o) => {
        if (o.status === 'failed') {
          failed++;
          ctx.record(o); // shown as failed; the next session runs it again
        } else {
          const stored: StoredOutcome = { budget: budgets[k], outcome: o };
          writeFileAtomic(outcomeFile(dir, o.spec.id, k), JSON.stringify(stored));
          outcomes.set(o.spec.id, o);
        }
      },
    });
    if (interrupted) return true;
    if (failed > 0) {
      ctx.notice(`rung ${k + 1}: ${failed} run(s) failed; the rung is decided only when all of its runs are recorded: run the same command to re-attempt them`);
      return false;
    }
    const decisions = decide(ctx, alive, outcomes, search.eta, k === budgets.length - 1);
    recordStopped(ctx, decisions, k, budgets);
    decided.push(decisions);
    writeRungs(dir, decided, budgets);
    const promoted = new Set(decisions.filter((d) => d.decision === 'promoted').map((d) => d.runId));
    alive = alive.filter((r) => promoted.has(r.id));
  }
  finishCheckpoints(ctx, budgets.length);
  return false;
}

/** A run's task at rung k: its budget, its rung's checkpoint files, and (past the first rung) where it continues from. */
function rungTask(base: RunTask, k: number, budgets: number[], checkpoints: RunCheckpoints): RunTask {
  const id = base.spec.id;
  const continueFrom = k > 0 ? { path: checkpointFiles(checkpoints.dir, rungName(id, k - 1)).final, chars: budgets[k - 1] } : undefined;
  return { ...base, budget: budgets[k], checkpoints, checkpointName: rungName(id, k), continueFrom };
}

/** The sweep's checkpoint settings with the final checkpoint always kept: each rung's is what its promoted runs continue from. */
function rungCheckpoints({ exp, loaded, dir }: HalvingContext): RunCheckpoints {
  return sweepCheckpoints({ ...exp, checkpoints: { keep: 'final', every: exp.checkpoints?.every } }, loaded, dir)!;
}

const rungName = (runId: string, k: number) => `${runId}.rung${k}`;
const outcomeFile = (dir: string, runId: string, k: number) => join(checkpointsDir(dir), `${rungName(runId, k)}.outcome.json`);

/** The trainings this halving sweep plans and the weighted characters left (src/sweep/work.ts), from the outcomes recorded so far. */
export function halvingPlannedWork(exp: Experiment & { search: HalvingSearch }, runs: RunSpec[], dir: string, cost: CostPerChar): PlannedWork {
  const budgets = rungBudgets(exp.search, exp.budget.chars);
  return halvingWork(exp.search, exp.budget.chars, runs, exp.seeds.length, cost, (k) => readOutcomes(dir, k, runs, budgets[k]).size);
}

/** What a run recorded at a rung, and the rung's budget (an outcome of another budget is not this rung's). */
interface StoredOutcome {
  budget: number;
  outcome: RunOutcome;
}

/** The outcomes recorded for rung k's runs at `budget` (a run without one is still to do). */
function readOutcomes(dir: string, k: number, runs: RunSpec[], budget: number): Map<string, RunOutcome> {
  const out = new Map<string, RunOutcome>();
  for (const r of runs) {
    const path = outcomeFile(dir, r.id, k);
    if (!existsSync(path)) continue;
    const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredOutcome;
    if (stored.budget === budget && stored.outcome?.spec?.id === r.id) out.set(r.id, stored.outcome);
  }
  return out;
}

function decide(ctx: HalvingContext, runs: RunSpec[], outcomes: Map<string, RunOutcome>, eta: number, last: boolean): RungDecision[] {
  const configIndex = new Map<string, number>();
  for (const r of ctx.runs) if (!configIndex.has(configId(r))) configIndex.set(configId(r), configIndex.size);
  const results = runs.map((r) => {
    const o = outcomes.get(r.id)!;
    return { runId: r.id, configId: configId(r), configIndex: configIndex.get(configId(r))!, valBpc: o.status === 'done' ? o.valBpc : null };
  });
  return decideRung(results, eta, last);
}

/**
 * The runs that stop at rung k (or finish there) go into the tables, as a plain sweep records a
 * run: its last rung's outcome, with the wall time of all its rungs. Runs recorded by an earlier
 * session are skipped.
 */
function recordStopped(ctx: HalvingContext, decisions: RungDecision[], k: number, budgets: number[]): void {
  for (const d of decisions) {
    if (d.decision === 'promoted' || ctx.recorded.has(d.runId)) continue;
    const run = ctx.runs.filter((r) => r.id === d.runId);
    const rungs = Array.from({ length: k + 1 }, (_, j) => readOutcomes(ctx.dir, j, run, budgets[j]).get(d.runId));
    const last = rungs[k]!;
    ctx.record({ ...last, wallS: rungs.reduce((s, o) => s + (o?.wallS ?? 0), 0) });
    ctx.recorded.add(d.runId);
  }
}

/** rungs.csv, rewritten whole (atomically) with every rung decided so far. */
function writeRungs(dir: string, decided: RungDecision[][], budgets: number[]): void {
  const rows: Row[] = decided.flatMap((decisions, k) =>
    decisions.map((d) => ({
      rung: k + 1,
      budget_chars: budgets[k],
      run_id: d.runId,
      status: d.valBpc === null ? 'diverged' : 'done',
      val_bpc: d.valBpc,
      config_val_bpc: d.configValBpc,
      rank: d.rank,
      decision: d.decision,
    })),
  );
  writeTable(dir, 'rungs', rows);
}

/** Every rung decided: each run's last rung checkpoint becomes its final one (keep "final"), the rung files go. */
export function finishCheckpoints(ctx: Pick<HalvingContext, 'exp' | 'runs' | 'dir'>, rungs: number): void {
  const dir = checkpointsDir(ctx.dir);
  const keep = (ctx.exp.checkpoints?.keep ?? 'final') === 'final';
  for (const r of ctx.runs) {
    for (let k = rungs - 1; k >= 0; k--) {
      const files = checkpointFiles(dir, rungName(r.id, k));
      if (!existsSync(files.final)) continue;
      if (keep && !existsSync(checkpointFiles(dir, r.id).final)) renameSync(files.final, checkpointFiles(dir, r.id).final);
      break;
    }
  }
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) if (/\.rung\d+\.(safetensors|outcome\.json)$/.test(entry)) rmSync(join(dir, entry), { force: true });
}

/** Temporary files of outcome writes a crash interrupted. */
function removeStaleOutcomeTemps(resultsDir: string): void {
  const dir = checkpointsDir(resultsDir);
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) if (/\.outcome\.json\.\d+\.tmp$/.test(entry)) rmSync(join(dir, entry), { force: true });
}
