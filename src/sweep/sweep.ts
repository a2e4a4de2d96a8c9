/**
 * The sweep, in its steps: validate the experiment, the results folder's manifest and tables, and
 * (when a run is left to do) the corpus before touching anything; take the folder's lock; recover
 * what earlier attempts recorded; fan the missing runs out over a piscina pool in grid order,
 * recording each finished run whole; finally rewrite the tables in grid order.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { OutputError, UsageError } from '../errors.js';
import { removeStaleCheckpointTemps, sweepCheckpoints } from '../checkpoint/runFiles.js';
import { corpusSpec, type CorpusAccess, type LoadedCorpus } from '../data/corpus.js';
import { corpusAtHand } from '../data/resolve.js';
import { heldOutWarning } from '../corpus/index.js';
import type { Cadence } from '../train/run.js';
import { planRuns, planRunsOf, type RunSpec } from './grid.js';
import { knobCells } from '../results/knobs.js';
import {
  checkSamePlan,
  finishCheckpoints,
  isStaged,
  Observations,
  refuseSharding,
  runStaged,
  stagedPlannedWork,
  stagedPlanRuns,
  type StagedContext,
} from './staged.js';
import { stagedSearch } from './search/index.js';
import { checkExperimentResources, loadExperimentCorpus, resolvedBackend, warnThreads } from './checks.js';
import { readExperimentFile } from '../results/experimentFile.js';
import { checkOurs, checkpointsDir, liveFileIn, removeFiles, tableFilesIn } from '../results/folder.js';
import { checkRunCheckpoints, freshTargets } from './folderFiles.js';
import { ensureWritableDir } from '../util/outputs.js';
import { acquireLock } from './lock.js';
import { LIVE_FILE } from '../results/live.js';
import { liveRecorder } from './liveRecorder.js';
import {
  experimentKey,
  machineInfo,
  meaningChanges,
  readManifest,
  resolvedBackendChange,
  VERSION,
  writeManifest,
  type ExperimentVersion,
  type Manifest,
  type Shard,
} from '../results/manifest.js';
import { backendIsa, type Backend, type BackendChoice } from '../backend/index.js';
import type { Experiment } from '../results/schema.js';
import { checkShardFolder, shardOutDir, shardRuns } from './shard.js';
import {
  appendRows,
  curveRows,
  readTable,
  round3,
  sampleRows,
  TABLE_FILES,
  TABLES,
  upgradeCurves,
  writeTable,
  type ReadTable,
  type Row,
  type TableName,
} from '../results/tables.js';
import {
  BASELINES_FILE,
  ladderInThread,
  ladderJob,
  ladderOnPool,
  ladderRecorded,
  type LadderJob,
} from './baselines.js';
import {
  failedOutcome,
  type Fault,
  type RunOutcome,
  type RunProgress,
  type RunTask,
  type SharedCorpus,
} from './task.js';
import { costPerChar, gridWork } from './work.js';
import type { SweepEvents } from './events.js';

export interface SweepOptions {
  experimentPath: string;
  /** Results folder (default results/<name> under cwd). */
  outDir?: string;
  fresh?: boolean;
  /** Overrides the experiment's worker count. */
  workers?: number;
  /** Overrides the experiment's threads per run (native backend). */
  threads?: number;
  /** Overrides the experiment's backend (recorded as if the file said so). */
  backend?: BackendChoice;
  /** Stop launching runs and abandon those in flight when aborted (Ctrl-C). */
  signal?: AbortSignal;
  /** Test-only faults by run id. */
  faults?: Record<string, Fault>;
  /** Where known corpora live and how a download reports (the CLI passes the environment's). */
  corpusAccess?: CorpusAccess;
  /** Run only this shard of the grid (default folder results/<name>/shards/<i>-of-<n>/). */
  shard?: Shard;
}

export interface SweepResult {
  dir: string;
  experiment: Experiment;
  manifest: Manifest;
  /** Summary rows of the grid's runs in grid order (all recorded runs, this session's and earlier ones). */
  summary: Record<string, string>[];
  /** Summary rows kept for runs no longer in the grid (grid values or seeds removed from the experiment). */
  retired: number;
  ran: number;
  skipped: number;
  interrupted: boolean;
  /** Runs that did not end 'done'. */
  problems: number;
}

/** What the pool's threads load (CommonJS in front of worker.ts: see threadEntry.cts). */
const WORKER_URL = new URL('./threadEntry.cjs', import.meta.url);

/** What validation found: the experiment, its runs, the results folder and (if any run is left) the corpus. */
interface Plan {
  expPath: string;
  experiment: Experiment;
  runs: RunSpec[];
  byId: Map<string, RunSpec>;
  /** Runs the sweep makes in all (a TPE sweep's runs are planned round by round). */
  total: number;
  dir: string;
  shard: Shard | null;
  /** null when nothing is left to run: the corpus is then not read at all. */
  loaded: LoadedCorpus | null;
  /** The experiment's backend as resolved here ("auto": native where its addon loads, else wasm). */
  backend: Backend;
}

/** Threads per run: asked for, else the experiment's, else the cores shared among the workers (never more than the cores). */
export function threadsPerRun(asked: number | undefined, workers: number, cores = availableParallelism()): number {
  return asked ?? Math.max(1, Math.floor(cores / workers));
}

export async function runSweep(opts: SweepOptions, ev: SweepEvents = {}): Promise<SweepResult> {
  // 1. Everything that can be wrong with the input is found before anything is written.
  const plan = await validate(opts, ev);
  createResultsDir(plan.dir);
  // 2. One sweep per folder.
  const release = acquireLock(plan.dir, { onNotice: ev.onNotice });
  // What the sweep is doing now, in live.json, for a page following it (charlab serve).
  const live = liveRecorder(plan.dir, { onNotice: ev.onNotice });
  ev = live.tee(ev);
  try {
    // 3. What earlier attempts recorded: completed runs are kept, anything partial is dropped.
    const folder = recover(plan, opts, ev);
    if (folder.previous && folder.todo.length === 0) {
      await ladderAlone(plan, folder.previous, opts, ev);
      return nothingToDo(plan, folder, ev);
    }
    const loaded = plan.loaded ?? (await loadChecked(plan, opts, ev)); // work appeared meanwhile
    checkUnchanged(folder, plan, loaded.file.sha256);
    const workers = Math.min(
      opts.workers ?? plan.experiment.workers ?? availableParallelism(),
      Math.max(1, folder.todo.length),
    );
    const threads = threadsPerRun(opts.threads ?? plan.experiment.threads, workers);
    warnThreads(workers, threads, plan.backend, (msg) => ev.onNotice?.(msg));
    const manifest = startManifest(plan, folder, loaded, workers, threads);
    const cost = costPerChar(loaded.corpus.vocab.symbols.length);
    const staged = stagedContext(plan, folder, loaded, ev);
    const planned = staged
      ? stagedPlannedWork(staged.search, staged.observations, cost)
      : gridWork(plan.runs.length, folder.todo, plan.experiment.budget.chars, cost);
    ev.onStart?.({
      dir: plan.dir,
      total: plan.total,
      todo: folder.todo,
      skipped: folder.recorded.length,
      workers,
      planned,
      cost,
    });
    // 4. The missing runs, in grid order, at most `workers` at a time (successive halving: rung by rung),
    // and the Markov ladder if not recorded yet (on the first pool only).
    const job = ladderJob(plan.experiment, manifest.corpus, plan.shard);
    let ladder = job && !ladderRecorded(plan.dir, job) ? job : null;
    const pool = (todo: RunSpec[], hooks?: PoolHooks) => {
      const first = ladder;
      ladder = null;
      return runPool(todo, { plan, threads, workers }, loaded, opts, ev, first, hooks);
    };
    const interrupted = staged ? await runStagedSweep(plan, { ...staged, pool }) : await pool(folder.todo);
    // 5. Tables in grid order, so they don't depend on timing, worker count or resumes.
    return finalize(plan, folder, manifest, interrupted);
  } finally {
    live.close();
    release();
  }
}

/** Read and check the experiment, the results folder as it stands, and the corpus if any run is left. Writes nothing. */
async function validate(opts: SweepOptions, ev: SweepEvents): Promise<Plan> {
  const expPath = resolve(opts.experimentPath);
  const read = readExperimentFile(expPath).experiment;
  const experiment = opts.backend === undefined ? read : { ...read, backend: opts.backend };
  const shard = opts.shard ?? null;
  // The runs this sweep plans; a shard runs its share of them (one place: everything below sees only these).
  if (shard) refuseSharding(experiment, `--shard ${shard.index}/${shard.count}`);
  const dir = resolve(opts.outDir ?? shardOutDir(join(process.cwd(), 'results', experiment.name), shard));
  checkResultsDir(dir);
  // --fresh removes only what charlab wrote; without it, the folder's tables must be charlab's.
  if (opts.fresh) checkOurs(freshTargets(dir), `--fresh in ${dir}`, 'move them away, or use another --out');
  else checkDerivedTables(dir);
  // A staged search (halving, Hyperband, TPE) plans from what the folder records.
  const planned = stagedPlanRuns(experiment, expPath, dir, !!opts.fresh) ?? planRunsOf(experiment, expPath);
  const runs = shard ? shardRuns(planned, shard) : planned;
  const backend = resolvedBackend(experiment, expPath);
  const plan: Plan = {
    expPath,
    experiment,
    runs,
    byId: new Map(runs.map((r) => [r.id, r])),
    total: plannedTotal(experiment, runs),
    dir,
    shard,
    loaded: null,
    backend,
  };
  const folder = inspectFolder(plan, !!opts.fresh);
  if (!opts.fresh && writesCheckpoints(experiment)) checkRunCheckpoints(dir, folder.todo);
  const previous = folder.previous;
  checkShardFolder(previous, shard, dir);
  if (previous)
    checkSamePlan(
      experiment,
      previous.experiment,
      planRuns(experiment),
      planRuns(previous.experiment),
      folder.tables.summary.rows.length,
      expPath,
    );
  const changed =
    previous !== null &&
    (meaningChanges(previous.experiment, experiment).length > 0 || !sameCorpusSpec(previous.experiment, experiment));
  // With every run recorded and the experiment unchanged the corpus is not needed: not even downloaded.
  // (A corpus named differently is read, to tell by its sha256 whether it is the same text.)
  if (!previous || folder.todo.length > 0 || changed) plan.loaded = await loadChecked(plan, opts, ev);
  checkUnchanged(folder, plan, plan.loaded?.file.sha256 ?? null);
  return plan;
}

/** The experiment's corpus, with the largest run and its Markov model checked to fit in memory. */
async function loadChecked(plan: Plan, opts: SweepOptions, ev: SweepEvents): Promise<LoadedCorpus> {
  const { experiment, expPath } = plan;
  const loaded = await loadExperimentCorpus(experiment, expPath, dirname(expPath), opts.corpusAccess);
  const { corpus } = loaded;
  const tiny = heldOutWarning(corpus.length - corpus.trainEnd, `corpus ${loaded.file.path}`);
  if (tiny) ev.onNotice?.(tiny);
  const requested = opts.workers ?? experiment.workers ?? availableParallelism();
  checkExperimentResources(
    experiment,
    { vocabSize: corpus.vocab.symbols.length, trainChars: corpus.trainEnd },
    expPath,
    requested,
    ev.onNotice,
  );
  return loaded;
}

/** A results folder as it stands (read only): its manifest, its tables, which runs are recorded and which are left. */
interface FolderState {
  previous: Manifest | null;
  tables: Record<TableName, ReadTable>;
  /** Summary rows of the grid's runs that are recorded (done or diverged), one per run. */
  recorded: Record<string, string>[];
  todo: RunSpec[];
}

function inspectFolder(plan: Plan, fresh: boolean): FolderState {
  const { dir } = plan;
  const empty: ReadTable = { rows: [], tornBytes: 0 };
  const none = { summary: empty, curves: empty, samples: empty };
  if (fresh || !existsSync(dir)) return { previous: null, tables: none, recorded: [], todo: plan.runs };
  const previous = readManifest(dir);
  const present = Object.values(TABLES).filter((t) => existsSync(join(dir, t.file)));
  if (!previous && present.length > 0) {
    throw new UsageError(
      `${dir} holds ${present.map((t) => t.file).join(', ')} but no readable manifest.json, so it cannot be told ` +
        `which experiment they belong to; refusing to add to them. Run with --fresh to start over there, or use another --out.`,
    );
  }
  // Every table is read (and a malformed one refused) before any of them is touched.
  const tables = {
    summary: readTable(dir, 'summary'),
    curves: readTable(dir, 'curves'),
    samples: readTable(dir, 'samples'),
  };
  const recorded = firstPerRun(
    tables.summary.rows.filter((r) => plan.byId.has(r.run_id) && isRecorded(r, plan.experiment)),
  );
  const ids = new Set(recorded.map((r) => r.run_id));
  return { previous, tables, recorded, todo: plan.runs.filter((r) => !ids.has(r.id)) };
}

/** A run recorded for good: done or diverged; failed too in a staged sweep, whose later decisions rest on it (src/sweep/staged.ts). */
const isRecorded = (r: Record<string, string>, exp: Experiment) =>
  r.status === 'done' || r.status === 'diverged' || (r.status === 'failed' && isStaged(exp));
const firstPerRun = (rows: Record<string, string>[]) =>
  rows.filter((r, i) => rows.findIndex((k) => k.run_id === r.run_id) === i);

/**
 * A changed experiment may only add, reorder or remove grid values and seeds; a change to anything
 * that alters what a recorded run means (budget, validation, Markov order, cadences, backend, the
 * corpus's text) is refused, naming each changed key with its old and new value.
 */
function checkUnchanged(folder: FolderState, plan: Plan, sha256: string | null): void {
  const previous = folder.previous;
  const held = folder.tables.summary.rows.length;
  if (!previous || held === 0) return; // nothing recorded that a change could contradict
  const changes = meaningChanges(previous.experiment, plan.experiment);
  const backend = resolvedBackendChange(previous, plan.backend);
  if (backend) changes.push(backend);
  if (sha256 !== null && sha256 !== previous.corpus.sha256)
    changes.push({ key: 'corpus (sha256 of its text)', old: previous.corpus.sha256, new: sha256 });
  if (changes.length === 0) return;
  throw new UsageError(
    `${plan.expPath}: changed in ways that alter what the ${held} run(s) recorded in ${plan.dir} mean:\n` +
      changes.map((c) => `  ${c.key}: ${c.old} -> ${c.new}\n`).join('') +
      `Only grid values and seeds may be added, reordered or removed. Undo the change, or start over there with --fresh ` +
      `(discarding the recorded runs), or use another --out or name.`,
  );
}

/** Under the lock: discard everything with --fresh, read the folder again, and drop what is not recorded whole. */
function recover(plan: Plan, opts: SweepOptions, ev: SweepEvents): FolderState {
  removeStaleTempFiles(plan.dir);
  removeStaleCheckpointTemps(plan.dir);
  if (opts.fresh) {
    const files = freshTargets(plan.dir);
    checkOurs(files, `--fresh in ${plan.dir}`, 'move them away, or use another --out');
    removeFiles(plan.dir, files);
  }
  upgradeOldCurves(plan.dir, ev);
  const folder = inspectFolder(plan, !!opts.fresh);
  if (plan.loaded) checkUnchanged(folder, plan, plan.loaded.file.sha256);
  dropUnrecorded(plan, folder, ev);
  return folder;
}

/** curves.csv from before issue 21 put in today's layout (src/sweep/tables.ts upgradeCurves) before anything rewrites or appends to it. */
function upgradeOldCurves(dir: string, ev: SweepEvents): void {
  const m = readManifest(dir);
  if (!m) return;
  const curveWhole = m.experiment.evaluation.chars >= m.corpus.validationChars;
  if (upgradeCurves(dir, curveWhole)) {
    const how = curveWhole
      ? 'every score read the whole held-out text: each is also its whole_val_bpc'
      : "each run's final whole-text score moved to whole_val_bpc, its slice score (never measured) left empty";
    ev.onNotice?.(`${TABLES.curves.file}: recorded before issue 21; rewritten in today's layout (${how})`);
  }
}

/**
 * Every run is recorded, but baselines.csv is missing or does not match (a folder swept before the
 * ladder existed, a changed range): computed here, the corpus read only for it, and only if its text
 * is the one the recorded runs read.
 */
async function ladderAlone(plan: Plan, previous: Manifest, opts: SweepOptions, ev: SweepEvents): Promise<void> {
  const job = ladderJob(plan.experiment, previous.corpus, plan.shard);
  if (!job || opts.signal?.aborted || ladderRecorded(plan.dir, job)) return;
  const notComputed = (why: string) => ev.onNotice?.(`${BASELINES_FILE}: the Markov ladder is not computed: ${why}`);
  // A finished sweep needs no corpus: it is not fetched, nor its problems made the sweep's, just for the ladder.
  const { name } = corpusSpec(plan.experiment.corpus);
  if (
    !plan.loaded &&
    !corpusAtHand(name, { dataDir: opts.corpusAccess?.dataDir ?? 'data', baseDir: dirname(plan.expPath) })
  ) {
    return notComputed(
      `the corpus ${name} is not at hand (a finished sweep does not fetch it for the ladder; make it readable and run again)`,
    );
  }
  let loaded: LoadedCorpus;
  try {
    loaded = plan.loaded ?? (await loadChecked(plan, opts, ev));
  } catch (err) {
    if (err instanceof UsageError) return notComputed(err.message);
    throw err;
  }
  if (loaded.file.sha256 !== previous.corpus.sha256)
    return notComputed(`${loaded.file.path} is not the text the recorded runs read (sha256 differs)`);
  plan.loaded = loaded;
  ladderInThread(loaded.corpus, job, plan.dir, ev.onNotice);
}

/** Every run is recorded: the tables are put in grid order and the manifest notes a new version of the experiment, if any. */
function nothingToDo(plan: Plan, folder: FolderState, ev: SweepEvents): SweepResult {
  const previous = folder.previous!;
  const skipped = folder.recorded.length;
  const planned = { tasks: plan.runs.length, done: plan.runs.length, work: 0 };
  ev.onStart?.({ dir: plan.dir, total: plan.runs.length, todo: [], skipped, workers: 0, planned, cost: () => 0 });
  if (!plan.loaded) ev.onNotice?.(`nothing to do: all ${plan.runs.length} runs are recorded; corpus not read`);
  const { summary, retired } = sortTables(plan);
  const ladder = stagedSearch(plan.experiment)?.ladder;
  if (ladder) finishCheckpoints({ exp: plan.experiment, runs: plan.runs, dir: plan.dir }, ladder.length); // if a kill cut the last clean-up short
  // A renamed corpus was read and found the same text (checkUnchanged); otherwise it is named as before.
  const sameCorpus = sameCorpusSpec(previous.experiment, plan.experiment) || plan.loaded !== null;
  const versions = sameCorpus ? withVersion(previous.versions, plan.experiment) : previous.versions;
  let manifest = previous;
  if (previous.finishedAt === null || versions !== previous.versions) {
    const update =
      versions === previous.versions
        ? {}
        : { experiment: plan.experiment, experimentFile: plan.expPath, versions, totalRuns: plan.runs.length };
    manifest = { ...previous, ...update, finishedAt: previous.finishedAt ?? new Date().toISOString() };
    writeManifest(plan.dir, manifest);
  }
  return {
    dir: plan.dir,
    experiment: plan.experiment,
    manifest,
    summary,
    retired,
    ran: 0,
    skipped,
    interrupted: false,
    problems: summary.filter((r) => r.status !== 'done').length,
  };
}

/** Whether two experiments name their corpus (and its slice) the same way. */
function sameCorpusSpec(a: Experiment, b: Experiment): boolean {
  const [x, y] = [corpusSpec(a.corpus), corpusSpec(b.corpus)];
  return x.name === y.name && x.chars === y.chars;
}

/** The versions of the experiment with `experiment` appended if it differs from the last one (the same list if not). */
function withVersion(versions: ExperimentVersion[], experiment: Experiment): ExperimentVersion[] {
  const last = versions[versions.length - 1];
  if (last && experimentKey(last.experiment) === experimentKey(experiment)) return versions;
  return [...versions, { since: new Date().toISOString(), experiment }];
}

function startManifest(
  plan: Plan,
  folder: FolderState,
  loaded: LoadedCorpus,
  workers: number,
  threads: number,
): Manifest {
  const { corpus, file } = loaded;
  const previous = folder.previous;
  const now = new Date().toISOString();
  const manifest: Manifest = {
    experiment: plan.experiment,
    experimentFile: plan.expPath,
    corpus: {
      path: file.path,
      sha256: file.sha256,
      chars: corpus.length,
      vocabSize: corpus.vocab.symbols.length,
      trainChars: corpus.trainEnd,
      validationChars: corpus.length - corpus.trainEnd,
      fileSha256: file.fileSha256,
      ...(file.slice ? { slice: file.slice } : {}),
    },
    charlab: VERSION,
    node: process.version,
    machine: machineInfo(),
    workers,
    backend: plan.backend,
    isa: backendIsa(plan.backend),
    threads,
    startedAt: previous ? previous.startedAt : now,
    sessions: [...(previous ? previous.sessions : []), now],
    versions: previous
      ? withVersion(previous.versions, plan.experiment)
      : [{ since: now, experiment: plan.experiment }],
    finishedAt: null,
    totalRuns: plan.total,
    ...(plan.shard ? { shard: plan.shard } : {}),
  };
  writeManifest(plan.dir, manifest);
  return manifest;
}

function finalize(plan: Plan, folder: FolderState, manifest: Manifest, interrupted: boolean): SweepResult {
  const { summary, retired } = sortTables(plan);
  const complete = summary.length === plan.runs.length;
  if (complete && !interrupted) manifest.finishedAt = new Date().toISOString();
  writeManifest(plan.dir, manifest);
  return {
    dir: plan.dir,
    experiment: plan.experiment,
    manifest,
    summary,
    retired,
    ran: folder.todo.length,
    skipped: folder.recorded.length,
    interrupted,
    problems: summary.filter((r) => r.status !== 'done').length,
  };
}

/** The results folder can be (or become) a folder of our files: checked without creating anything. */
function checkResultsDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new UsageError(`results folder ${dir} is a file, expected a folder`);
  const blocker = fileAncestor(dir);
  if (blocker) throw new UsageError(`results folder ${dir} cannot be created: ${blocker} is a file, expected a folder`);
  // What the sweep writes must be files (and checkpoints/ a folder): anything in the way is reported before anything is written.
  for (const file of [...TABLE_FILES, 'manifest.json', LIVE_FILE, '.lock']) {
    const path = join(dir, file);
    if (existsSync(path) && statSync(path).isDirectory()) {
      throw new UsageError(`results folder ${dir}: ${file} is a directory, expected a file (or nothing)`);
    }
  }
  const ck = checkpointsDir(dir);
  if (existsSync(ck) && !statSync(ck).isDirectory())
    throw new UsageError(`results folder ${dir}: checkpoints is a file, expected a folder (or nothing)`);
  createResultsDir(dir, true); // /proc, a read-only or full file system: refused now, nothing left behind
}

/**
 * baselines.csv and rungs.csv are rewritten whole, so they are replaced only if charlab wrote them (the
 * run tables are read before anything is written, and one with a foreign header is refused there).
 */
function checkDerivedTables(dir: string): void {
  const runTables = new Set(Object.values(TABLES).map((t) => join(dir, t.file)));
  checkOurs(
    [...tableFilesIn(dir).filter((f) => !runTables.has(f.path)), ...liveFileIn(dir)],
    `sweep into ${dir}`,
    'move them away, or use another --out',
  );
}

/** The results folder, created if needed (each level on its own) and probed: exit 2 before any work if it cannot be written. */
function createResultsDir(dir: string, dryRun = false): void {
  try {
    ensureWritableDir(dir, 'results folder', dryRun);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message}; choose another with --out`);
    throw err;
  }
}

/** The nearest existing ancestor of `path` if it is not a folder (so `path` cannot be created). */
function fileAncestor(path: string): string | null {
  for (let p = dirname(path), prev = path; p !== prev; prev = p, p = dirname(p)) {
    if (existsSync(p)) return statSync(p).isDirectory() ? null : p;
  }
  return null;
}

/** Temporary files left by an atomic write that a crash interrupted (`<file>.<pid>.tmp`). */
function removeStaleTempFiles(dir: string): void {
  const names = new Set([...TABLE_FILES, 'manifest.json', LIVE_FILE]);
  for (const entry of readdirSync(dir)) {
    const m = /^(.*)\.(\d+)\.tmp$/.exec(entry);
    if (m && names.has(m[1])) rmSync(join(dir, entry), { force: true });
  }
}

/**
 * Keep every run recorded whole (and every row of runs no longer in the grid: removing grid values
 * deletes nothing); drop failed runs of the grid (they are run again), torn last records, and the
 * curves and samples of runs without a summary row (unfinished). Each drop is reported; a table is
 * rewritten only if something was dropped.
 */
function dropUnrecorded(plan: Plan, folder: FolderState, ev: SweepEvents): void {
  const { summary } = folder.tables;
  const retired = summary.rows.filter((r) => !plan.byId.has(r.run_id));
  const keep = [...folder.recorded, ...retired];
  const failed = summary.rows.filter((r) => plan.byId.has(r.run_id) && !isRecorded(r, plan.experiment)).length;
  const duplicates = summary.rows.length - keep.length - failed;
  if (summary.tornBytes > 0) ev.onNotice?.(`summary.csv: dropped a torn last record (${summary.tornBytes} bytes)`);
  if (duplicates > 0)
    ev.onNotice?.(`summary.csv: dropped ${duplicates} repeated row(s) of runs recorded twice (the first is kept)`);
  if (failed > 0) ev.onNotice?.(`re-attempting ${failed} run(s) recorded as failed`);
  const retiredRuns = new Set(retired.map((r) => r.run_id)).size;
  if (retiredRuns > 0)
    ev.onNotice?.(`kept ${retiredRuns} recorded run(s) that are no longer in the grid (their rows stay in the tables)`);
  rewriteIfDropped(plan.dir, 'summary', summary, keep, ev, false);
  const ids = new Set(keep.map((r) => r.run_id));
  for (const t of ['curves', 'samples'] as const) {
    const table = folder.tables[t];
    rewriteIfDropped(
      plan.dir,
      t,
      table,
      table.rows.filter((r) => ids.has(r.run_id)),
      ev,
      true,
    );
  }
}

function rewriteIfDropped(
  dir: string,
  t: TableName,
  table: ReadTable,
  keep: Record<string, string>[],
  ev: SweepEvents,
  say: boolean,
): void {
  const dropped = table.rows.length - keep.length;
  if (table.tornBytes === 0 && dropped === 0) return;
  if (say) {
    const what = [
      table.tornBytes > 0 ? `a torn last record (${table.tornBytes} bytes)` : '',
      dropped > 0 ? `${dropped} row(s) of unfinished or failed runs` : '',
    ];
    ev.onNotice?.(`${TABLES[t].file}: dropped ${what.filter(Boolean).join(' and ')}`);
  }
  writeTable(dir, t, keep, { held: table.rows.length, dropped });
}

/**
 * Rewrite the tables in grid order (runs no longer in the grid after them, as they were). Returns
 * the grid's summary rows and how many rows belong to runs no longer in the grid.
 */
function sortTables(plan: Plan): { summary: Record<string, string>[]; retired: number } {
  const order = (id: string) => plan.byId.get(id)?.index ?? Infinity;
  let summary: Record<string, string>[] = [];
  for (const t of ['summary', 'curves', 'samples'] as const) {
    const rows = readTable(plan.dir, t).rows;
    // A stable sort by grid position keeps each run's own rows in the order they were written.
    const sorted = rows
      .map((r, i) => ({ r, i }))
      .sort((a, b) => order(a.r.run_id) - order(b.r.run_id) || a.i - b.i)
      .map((x) => x.r);
    writeTable(plan.dir, t, sorted, { held: rows.length, dropped: 0 });
    if (t === 'summary') summary = sorted;
  }
  const inGrid = summary.filter((r) => plan.byId.has(r.run_id));
  return { summary: inGrid, retired: summary.length - inGrid.length };
}

function cadenceOf(exp: Experiment): Cadence {
  return {
    curveEvery: exp.curves.every,
    evalEvery: exp.evaluation.every,
    evalChars: exp.evaluation.chars,
    sampleEvery: exp.samples.every,
    sampleLength: exp.samples.length,
    temperature: exp.samples.temperature,
    prime: exp.samples.prime,
    ...(exp.earlyStopping ? { earlyStopping: exp.earlyStopping } : {}),
  };
}

/** Whether the runs write checkpoint files (rung searches — halving, Hyperband — always do: their rung checkpoints). */
function writesCheckpoints(exp: Experiment): boolean {
  return (
    !!stagedSearch(exp)?.ladder || (exp.checkpoints?.keep ?? 'final') !== 'none' || (exp.checkpoints?.every ?? 0) > 0
  );
}

/** The corpus encoded once, shared with every worker through one SharedArrayBuffer (no copies). */
function sharedCorpus({ corpus, file }: LoadedCorpus): SharedCorpus {
  const ids = new SharedArrayBuffer(corpus.ids.byteLength);
  new Int32Array(ids).set(corpus.ids);
  return { source: file.path, symbols: corpus.vocab.symbols, ids, trainEnd: corpus.trainEnd, length: corpus.length };
}

/** How successive halving shapes the pool's tasks and takes their outcomes (default: a run's whole budget, recorded in the tables). */
interface PoolHooks {
  task(base: RunTask): RunTask;
  done(o: RunOutcome): void;
}

/** A staged sweep's context (null for a plain one): its planner and what the folder records, read once. */
function stagedContext(
  plan: Plan,
  folder: FolderState,
  loaded: LoadedCorpus,
  ev: SweepEvents,
): Omit<StagedContext, 'pool'> | null {
  const search = stagedSearch(plan.experiment);
  if (!search) return null;
  return {
    exp: plan.experiment,
    search,
    dir: plan.dir,
    loaded,
    observations: new Observations(plan.dir, plan.experiment.budget.chars, search.ladder, folder.recorded),
    recorded: new Set(folder.recorded.map((r) => r.run_id)),
    record: (o) => record(plan, o),
    notice: (msg) => ev.onNotice?.(msg),
  };
}

/** The stages; the plan's runs then are the ones the tables are ordered by (a TPE sweep's grow round by round). */
async function runStagedSweep(plan: Plan, ctx: StagedContext): Promise<boolean> {
  const { interrupted, runs } = await runStaged(ctx);
  plan.runs = runs;
  plan.byId = new Map(runs.map((r) => [r.id, r]));
  plan.total = plannedTotal(plan.experiment, runs);
  return interrupted;
}

/** Runs the sweep makes in all: a staged search may know the number before it knows the runs. */
function plannedTotal(exp: Experiment, runs: RunSpec[]): number {
  const configs = stagedSearch(exp)?.plan(() => undefined).totalConfigs;
  return configs == null ? runs.length : Math.max(runs.length, configs * exp.seeds.length);
}

/** The worker pool of a sweep: `workers` threads, each with the shared corpus. */
function runPoolOf(loaded: LoadedCorpus, workers: number): Piscina {
  return new Piscina({
    filename: WORKER_URL.href,
    name: 'run',
    minThreads: workers,
    maxThreads: workers,
    workerData: sharedCorpus(loaded),
    idleTimeout: 60_000,
    concurrentTasksPerWorker: 1,
  });
}

/** The task of one run of the plan: its budget, backend, cadence, baseline order, checkpoints. */
function taskMaker(plan: Plan, threads: number, loaded: LoadedCorpus, opts: SweepOptions): (spec: RunSpec) => RunTask {
  const { dir, experiment: exp, backend } = plan;
  const cadence = cadenceOf(exp);
  const checkpoints = sweepCheckpoints(exp, loaded, dir);
  return (spec) => ({
    spec,
    budget: exp.budget.chars,
    backend,
    isa: backendIsa(backend),
    threads,
    cadence,
    markovOrder: exp.markov.order,
    fault: opts.faults?.[spec.id],
    checkpoints,
  });
}

async function runPool(
  todo: RunSpec[],
  { plan, threads, workers }: { plan: Plan; threads: number; workers: number },
  loaded: LoadedCorpus,
  opts: SweepOptions,
  ev: SweepEvents,
  ladder: LadderJob | null = null,
  hooks?: PoolHooks,
): Promise<boolean> {
  const { dir } = plan;
  if (todo.length === 0) {
    if (ladder && !opts.signal?.aborted) ladderInThread(loaded.corpus, ladder, dir, ev.onNotice);
    return false;
  }
  if (opts.signal?.aborted) return true; // interrupted before the first run was launched
  const pool = runPoolOf(loaded, workers);
  const task = taskMaker(plan, threads, loaded, opts);
  let next = 0;
  let stopping = false;
  const onAbort = () => {
    stopping = true;
    // Abandon the runs in flight: their rows were never written, the next session runs them again.
    pool.destroy().catch(() => {});
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const launch = async (): Promise<void> => {
    try {
      while (!stopping && next < todo.length) {
        const base = task(todo[next++]);
        const outcome = await runOnPool(pool, hooks ? hooks.task(base) : base, ev, () => stopping);
        if (outcome === null) return; // abandoned by an interrupt
        takeOutcome(outcome, plan, ev, hooks);
      }
    } catch (err) {
      onAbort(); // a failed write (a full disk): no run is launched or recorded after it
      throw err;
    }
  };
  try {
    // The ladder is queued first: it takes one thread while the runs go on the others.
    const baselines = ladder ? ladderOnPool(pool, ladder, dir, () => stopping, ev.onNotice) : null;
    await Promise.all([...Array.from({ length: workers }, launch), baselines]);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (!stopping) await pool.destroy();
  }
  return stopping;
}

/**
 * A finished run recorded (even if an interrupt came meanwhile: it is whole) and reported. A run
 * whose own files could not be written (a full disk) stops the sweep with that error instead.
 */
function takeOutcome(outcome: RunOutcome, plan: Plan, ev: SweepEvents, hooks?: PoolHooks): void {
  const id = outcome.spec.id;
  if (outcome.outputError) throw new OutputError(outcome.outputError.path, outcome.outputError.code);
  if (hooks) hooks.done(outcome);
  else record(plan, outcome);
  if (outcome.notice) ev.onNotice?.(`${id}: started over: ${outcome.notice}`);
  if (outcome.resumedAt !== null)
    ev.onNotice?.(`${id}: resumed from its checkpoint at ${outcome.resumedAt} characters`);
  ev.onRunEnd?.(outcome);
}

/** One run on the pool, its progress relayed to `ev`: the outcome, or null when an interrupt abandoned it. */
async function runOnPool(
  pool: Piscina,
  task: RunTask,
  ev: SweepEvents,
  stopping: () => boolean,
): Promise<RunOutcome | null> {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (p: RunProgress) => ev.onRunProgress?.(task.spec, p));
  ev.onRunStart?.(task.spec, { budget: task.budget, from: task.continueFrom?.chars ?? 0 });
  try {
    return (await pool.run({ ...task, progress: port2 }, { transferList: [port2] })) as RunOutcome;
  } catch (err) {
    if (stopping()) return null;
    return failedOutcome(task.spec, `worker died: ${err instanceof Error ? err.message : String(err)}`); // piscina replaces the thread
  } finally {
    port1.close();
  }
}

/** A finished run's rows: curves and samples first, the summary row last (it marks the run recorded). */
function record({ dir, experiment: exp, backend }: Plan, o: RunOutcome): void {
  const id = o.spec.id;
  appendRows(dir, 'curves', curveRows(id, o.curves));
  const samples: Row[] = sampleRows(id, o.samples);
  if (o.markov)
    samples.push({ run_id: id, model: 'markov', iteration: o.iterations, temperature: 1, text: o.markov.sample });
  appendRows(dir, 'samples', samples);
  appendRows(dir, 'summary', [
    {
      run_id: id,
      ...knobCells(o.spec),
      seed: o.spec.seed,
      backend,
      isa: o.isa,
      status: o.status,
      iterations: o.iterations,
      chars: o.chars,
      smooth_loss_per_char: o.smoothLossPerChar,
      val_bpc: o.valBpc,
      markov_order: exp.markov.order,
      markov_val_bpc: o.markov?.valBpc ?? null,
      wall_s: round3(o.wallS),
      chars_per_s: o.charsPerSec === null ? null : Math.round(o.charsPerSec),
      diverged_at_iteration: o.divergedAt,
      error: o.error,
      params: o.params,
      best_val_bpc: o.best?.valBpc ?? null,
      best_val_chars: o.best?.chars ?? null,
      curve_val_chars: o.curveChars,
      stopped_early: o.stoppedEarly === null ? null : String(o.stoppedEarly),
    },
  ]);
}
