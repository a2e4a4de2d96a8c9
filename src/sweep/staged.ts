/**
 * Staged sweeps (successive halving, Hyperband, TPE), run: plan the next stage from what is
 * recorded (src/sweep/search/staged.ts), train its missing runs on the sweep's pool, wait for all
 * of them (the barrier), record what they settled, and plan again. Within a stage the runs fan out
 * over the pool; the plan never depends on the worker count or on finishing order.
 *
 * What is recorded, and so what a new session plans from:
 *   summary.csv                       every training to the full budget, as it ends (like a plain sweep)
 *   checkpoints/<run_id>.rung<k>.outcome.json
 *                                     a training to rung budget k (rung methods), written atomically
 *                                     when it ends; the run's row goes into the tables once no bracket
 *                                     trains it further (its last rung's outcome, the wall time of all)
 *   checkpoints/<run_id>.rung<k>.safetensors
 *                                     the model at rung budget k: a later training of the run continues
 *                                     from its largest one below (exactly: budgets are whole chunks)
 *   rungs.csv                         every rung decision so far, rewritten whole (atomically)
 * A training that fails ranks last like a diverged one and is kept (later decisions rest on it), so
 * a staged sweep does not re-attempt it; --fresh starts over. When everything is decided, each
 * run's last rung checkpoint becomes <run_id>.safetensors (keep "final") and the rung files go.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointFiles, sweepCheckpoints, type RunCheckpoints } from '../checkpoint/runFiles.js';
import { checkpointsDir } from '../results/folder.js';
import type { LoadedCorpus } from '../data/corpus.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { planRunsOf, type RunSpec } from './grid.js';
import type { Experiment } from '../results/schema.js';
import { searchMethod, stagedSearch } from './search/index.js';
import type { BracketDecision, Observation, Observed, StagedPlan, StagedSearch } from './search/staged.js';
import { readTable, writeTable, type Row } from '../results/tables.js';
import type { RunOutcome, RunTask } from './task.js';
import { stagedWork, type CostPerChar, type PlannedWork } from './work.js';

/** What the sweep lends the stages: its pool, its recorder, and the runs already in summary.csv. */
export interface StagedContext {
  exp: Experiment;
  search: StagedSearch;
  dir: string;
  loaded: LoadedCorpus;
  observations: Observations;
  recorded: Set<string>;
  /** Runs `todo` on the sweep's pool; `task` shapes each run's task, `done` receives each outcome. Resolves true when interrupted. */
  pool(todo: RunSpec[], hooks: { task(base: RunTask): RunTask; done(o: RunOutcome): void }): Promise<boolean>;
  /** Appends a run's curves, samples and summary row (the sweep's own recorder). */
  record(o: RunOutcome): void;
  notice(msg: string): void;
}

export const isStaged = (exp: Experiment): boolean => searchMethod(exp).staged !== undefined;
const METHOD_NAMES: Record<string, string> = { halving: 'successive halving', hyperband: 'Hyperband', tpe: 'TPE' };
const methodName = (exp: Experiment) => METHOD_NAMES[exp.search?.method ?? ''] ?? String(exp.search?.method);

/** Shards (and so Slurm arrays) split a plan across machines; a staged search needs every result of a stage in one place. */
export function refuseSharding(exp: Experiment, what: string): void {
  if (!isStaged(exp)) return;
  throw new UsageError(
    `${what}: not with ${methodName(exp)} ("search": {"method": "${exp.search!.method}"}): each stage needs every result of the one before in one results folder; run it as one sweep (--workers N)`,
  );
}

/**
 * A staged sweep's decisions depend on every configuration and seed: once a run is recorded, the
 * plan may not change (a plain sweep may add and remove grid values and seeds). `runs` are planned
 * from nothing recorded, for both versions alike.
 */
export function checkSamePlan(
  exp: Experiment,
  previous: Experiment,
  runs: RunSpec[],
  previousRuns: RunSpec[],
  recorded: number,
  expPath: string,
): void {
  if (recorded === 0 || (!isStaged(exp) && !isStaged(previous))) return;
  const key = (rs: RunSpec[]) => rs.map((r) => r.id).join(',');
  const what =
    JSON.stringify(exp.search) !== JSON.stringify(previous.search)
      ? 'the search settings'
      : key(runs) !== key(previousRuns)
        ? 'the grid or seeds'
        : null;
  if (what === null) return;
  throw new UsageError(
    `${expPath}: ${what} changed since ${recorded} run(s) were recorded; ${methodName(isStaged(exp) ? exp : previous)} decides from every configuration's scores at fixed budgets, ` +
      'so its plan cannot change mid-way. Undo the change, or start over with --fresh, or use another --out or name.',
  );
}

/** The runs a staged experiment plans from what the folder records (nothing with --fresh); null for a plain experiment. */
export function stagedPlanRuns(exp: Experiment, expPath: string, dir: string, fresh: boolean): RunSpec[] | null {
  const search = stagedSearch(exp);
  if (!search) return null;
  const observed =
    fresh || !existsSync(dir)
      ? () => undefined
      : new Observations(dir, exp.budget.chars, search.ladder, readTable(dir, 'summary').rows).observed;
  return planRunsOf(exp, expPath, observed);
}

/** The stages, from the first one not decided yet. Resolves the runs planned in the end, and true when interrupted (the same command resumes). */
export async function runStaged(ctx: StagedContext): Promise<{ interrupted: boolean; runs: RunSpec[] }> {
  const { search, observations: obs } = ctx;
  removeStaleOutcomeTemps(ctx.dir);
  let written = -1;
  for (;;) {
    const plan = search.plan(obs.observed);
    recordSettled(ctx, plan);
    if (search.ladder && plan.decisions.length !== written) writeRungs(ctx.dir, plan.decisions);
    written = plan.decisions.length;
    const todo = plan.stage.filter((t) => obs.observed(t.run.id, t.budget) === undefined);
    if (plan.stage.length === 0) {
      if (search.ladder) finishCheckpoints({ exp: ctx.exp, runs: plan.runs, dir: ctx.dir }, search.ladder.length);
      return { interrupted: false, runs: plan.runs };
    }
    if (todo.length === 0)
      throw new Error('internal error: a stage whose trainings are all recorded was planned again');
    const budgetOf = new Map(todo.map((t) => [t.run.id, t.budget]));
    const interrupted = await ctx.pool(
      todo.map((t) => t.run),
      {
        task: (base) => stageTask(ctx, base, budgetOf.get(base.spec.id)!),
        done: (o) => keep(ctx, o, budgetOf.get(o.spec.id)!),
      },
    );
    if (interrupted) return { interrupted: true, runs: plan.runs };
  }
}

/** A training's outcome: to the full budget, into the tables at once; to a rung's, into its outcome file. */
function keep(ctx: StagedContext, o: RunOutcome, budget: number): void {
  if (budget !== ctx.exp.budget.chars) return ctx.observations.addRung(o, budget);
  ctx.record({ ...o, wallS: o.wallS + ctx.observations.earlierWall(o.spec.id, budget) });
  ctx.recorded.add(o.spec.id);
  ctx.observations.addFull(o);
}

/** Runs settled below the full budget go into the tables (their last recorded training's outcome, the wall time of all). */
function recordSettled(ctx: StagedContext, plan: StagedPlan): void {
  for (const run of plan.runs) {
    const budget = plan.settled.get(run.id);
    if (budget === undefined || ctx.recorded.has(run.id)) continue;
    const last = ctx.observations.lastOutcome(run.id, budget);
    if (!last) throw new Error(`internal error: ${run.id} settled at ${budget} characters without a recorded outcome`);
    ctx.record({ ...last.outcome, wallS: last.outcome.wallS + ctx.observations.earlierWall(run.id, last.budget) });
    ctx.recorded.add(run.id);
  }
}

/** A training's task: to its budget; for rung methods, with its rung's checkpoint files and the largest rung below to continue from. */
function stageTask(ctx: StagedContext, base: RunTask, budget: number): RunTask {
  const ladder = ctx.search.ladder;
  if (!ladder) return base; // every training from scratch to the full budget, with the sweep's own checkpoints
  const id = base.spec.id;
  const checkpoints = rungCheckpoints(ctx);
  const level = ladder.indexOf(budget);
  let continueFrom: RunTask['continueFrom'];
  for (let k = level - 1; k >= 0 && !continueFrom; k--) {
    const path = checkpointFiles(checkpoints.dir, rungName(id, k)).final;
    if (existsSync(path)) continueFrom = { path, chars: ladder[k] };
  }
  return { ...base, budget, checkpoints, checkpointName: rungName(id, level), continueFrom };
}

/** The sweep's checkpoint settings with the final checkpoint always kept: each rung's is what later trainings continue from. */
function rungCheckpoints({ exp, loaded, dir }: StagedContext): RunCheckpoints {
  return sweepCheckpoints({ ...exp, checkpoints: { keep: 'final', every: exp.checkpoints?.every } }, loaded, dir)!;
}

const rungName = (runId: string, k: number) => `${runId}.rung${k}`;
const outcomeFile = (dir: string, runId: string, k: number) =>
  join(checkpointsDir(dir), `${rungName(runId, k)}.outcome.json`);

/** What a run recorded at a rung, and the rung's budget (an outcome of another budget is not this rung's). */
interface StoredOutcome {
  budget: number;
  outcome: RunOutcome;
}

/**
 * Everything a staged sweep has recorded: trainings to the full budget from summary.csv's rows,
 * trainings to a rung's budget from their outcome files (read once, then kept in memory).
 */
export class Observations {
  private readonly full = new Map<string, Observation>();
  private readonly rungs = new Map<string, StoredOutcome | null>();

  constructor(
    private readonly dir: string,
    private readonly budget: number,
    private readonly ladder: number[] | null,
    summaryRows: Record<string, string>[],
  ) {
    for (const r of summaryRows) {
      const status = r.status;
      if ((status !== 'done' && status !== 'diverged' && status !== 'failed') || this.full.has(r.run_id)) continue;
      // A run that stopped at a rung has its row too: done below the full budget is not a score at it (diverged or
      // failed anywhere is, since a trajectory that broke stays broken).
      if (status === 'done' && Number(r.chars) !== budget) continue;
      const v = r.val_bpc === '' ? NaN : Number(r.val_bpc);
      this.full.set(r.run_id, { status, valBpc: Number.isFinite(v) ? v : null });
    }
  }

  readonly observed: Observed = (runId, budget) => {
    if (budget === this.budget) return this.full.get(runId);
    const o = this.rung(runId, budget)?.outcome;
    return o ? { status: o.status, valBpc: o.status === 'done' ? o.valBpc : null } : undefined;
  };

  addFull(o: RunOutcome): void {
    this.full.set(o.spec.id, { status: o.status, valBpc: o.status === 'done' ? o.valBpc : null });
  }

  addRung(o: RunOutcome, budget: number): void {
    const stored: StoredOutcome = { budget, outcome: o };
    writeFileAtomic(outcomeFile(this.dir, o.spec.id, this.level(budget)), JSON.stringify(stored));
    this.rungs.set(`${o.spec.id}@${budget}`, stored);
  }

  /** The run's outcome at the largest rung budget up to `budget` it recorded one at (a diverged run stops below its settling budget). */
  lastOutcome(runId: string, budget: number): StoredOutcome | undefined {
    for (const b of [...(this.ladder ?? [])].reverse())
      if (b <= budget && b !== this.budget && this.rung(runId, b)) return this.rung(runId, b)!;
    return undefined;
  }

  /** Wall seconds of the run's trainings to the rung budgets below `budget`. */
  earlierWall(runId: string, budget: number): number {
    return (this.ladder ?? [])
      .filter((b) => b < budget)
      .reduce((s, b) => s + (this.rung(runId, b)?.outcome.wallS ?? 0), 0);
  }

  private level(budget: number): number {
    const k = this.ladder?.indexOf(budget) ?? -1;
    if (k < 0) throw new Error(`internal error: ${budget} characters is not a rung budget`);
    return k;
  }

  private rung(runId: string, budget: number): StoredOutcome | null {
    const key = `${runId}@${budget}`;
    if (!this.rungs.has(key))
      this.rungs.set(
        key,
        this.ladder?.includes(budget) ? readOutcome(this.dir, runId, this.level(budget), budget) : null,
      );
    return this.rungs.get(key)!;
  }
}

function readOutcome(dir: string, runId: string, k: number, budget: number): StoredOutcome | null {
  const path = outcomeFile(dir, runId, k);
  if (!existsSync(path)) return null;
  const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredOutcome;
  return stored.budget === budget && stored.outcome?.spec?.id === runId ? stored : null;
}

/** The trainings this staged sweep plans and the weighted characters left (src/sweep/work.ts). */
export function stagedPlannedWork(search: StagedSearch, observations: Observations, cost: CostPerChar): PlannedWork {
  return stagedWork(search.plan(observations.observed), observations.observed, cost);
}

/** rungs.csv, rewritten whole (atomically) with every rung decided so far. */
function writeRungs(dir: string, decisions: BracketDecision[]): void {
  const rows: Row[] = decisions.map((d) => ({
    bracket: d.bracket,
    rung: d.rung,
    budget_chars: d.budget,
    run_id: d.runId,
    status: d.status ?? (d.valBpc === null ? 'diverged' : 'done'),
    val_bpc: d.valBpc,
    config_val_bpc: d.configValBpc,
    rank: d.rank,
    decision: d.decision,
  }));
  writeTable(dir, 'rungs', rows);
}

/** Every rung decided: each run's last rung checkpoint becomes its final one (keep "final"), the rung files go. */
export function finishCheckpoints(ctx: { exp: Experiment; runs: RunSpec[]; dir: string }, rungs: number): void {
  const dir = checkpointsDir(ctx.dir);
  const keepFinal = (ctx.exp.checkpoints?.keep ?? 'final') === 'final';
  for (const r of ctx.runs) {
    for (let k = rungs - 1; k >= 0; k--) {
      const files = checkpointFiles(dir, rungName(r.id, k));
      if (!existsSync(files.final)) continue;
      if (keepFinal && !existsSync(checkpointFiles(dir, r.id).final))
        renameSync(files.final, checkpointFiles(dir, r.id).final);
      break;
    }
  }
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir))
    if (/\.rung\d+\.(safetensors|outcome\.json)$/.test(entry)) rmSync(join(dir, entry), { force: true });
}

/** Temporary files of outcome writes a crash interrupted. */
function removeStaleOutcomeTemps(resultsDir: string): void {
  const dir = checkpointsDir(resultsDir);
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir))
    if (/\.outcome\.json\.\d+\.tmp$/.test(entry)) rmSync(join(dir, entry), { force: true });
}
